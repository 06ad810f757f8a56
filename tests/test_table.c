/* Suite "table": the table loader (rec/table.h) on tables written by the tests: quoting,
 * headers, types and inference, selection and renaming, missing values, encodings, line
 * endings, every refusal with its message, and reading across the loader's block size. */
#include "rec_check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static char path_buf[128];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/rec_table_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *write_file(const char *name, const char *data, size_t size)
{
    snprintf(path_buf, sizeof path_buf, "%s/%s", dir, name);
    FILE *f = fopen(path_buf, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, size, f), size);
    ck_assert_int_eq(fclose(f), 0);
    return path_buf;
}

/* Parse text from memory as "t.csv" with options o (NULL: defaults). */
static int parse(rec_dataset **ds, const char *text, const rec_table_options *o)
{
    return rec_dataset_parse_table(ds, text, strlen(text), "t.csv", o);
}

static uint32_t col(const rec_dataset *ds, const char *name)
{
    uint32_t c = UINT32_MAX;
    ck_assert_rec_ok(rec_dataset_column(&c, ds, name));
    return c;
}

static rec_table_options *options(void)
{
    rec_table_options *o;
    ck_assert_rec_ok(rec_table_options_create(&o));
    return o;
}

/* ---- reading ------------------------------------------------------------------------------ */

START_TEST(test_table_header_names_and_inferred_types)
{
    rec_dataset *ds;
    ck_assert_rec_ok(parse(&ds, "user_id,title,rating,when\n"
                                "7,Heat,4.5,100\n"
                                "0042,Up,3,\n", NULL));
    ck_assert_uint_eq(rec_dataset_size(ds), 2);
    ck_assert_uint_eq(rec_dataset_n_columns(ds), 4);
    /* an id-named integer column stays a string, as written */
    ck_assert_int_eq(rec_dataset_column_type(ds, col(ds, "user_id")), REC_COLUMN_STRING);
    ck_assert_str_eq(rec_dataset_string(ds, col(ds, "user_id"), 1), "0042");
    ck_assert_int_eq(rec_dataset_column_type(ds, col(ds, "title")), REC_COLUMN_STRING);
    ck_assert_int_eq(rec_dataset_column_type(ds, col(ds, "rating")), REC_COLUMN_NUMBER);
    ck_assert_double_eq(rec_dataset_number(ds, col(ds, "rating"), 0), 4.5);
    /* an empty number is missing: NaN */
    ck_assert(isnan(rec_dataset_number(ds, col(ds, "when"), 1)));
    ck_assert_double_eq(rec_dataset_number(ds, col(ds, "when"), 0), 100);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_table_rfc4180_quoting)
{
    rec_dataset *ds;
    ck_assert_rec_ok(parse(&ds, "id,title,n\r\n"
                                "a,\"Heat, the film\",1\r\n"
                                "b,\"say \"\"hi\"\"\",2\r\n"
                                "c,\"two\r\nlines\",3\r\n"
                                "d,12\" vinyl,4\r\n"
                                "e,\"\",5", NULL));
    ck_assert_uint_eq(rec_dataset_size(ds), 5);
    uint32_t t = col(ds, "title");
    ck_assert_str_eq(rec_dataset_string(ds, t, 0), "Heat, the film");
    ck_assert_str_eq(rec_dataset_string(ds, t, 1), "say \"hi\"");
    ck_assert_str_eq(rec_dataset_string(ds, t, 2), "two\r\nlines");
    ck_assert_str_eq(rec_dataset_string(ds, t, 3), "12\" vinyl");
    ck_assert_str_eq(rec_dataset_string(ds, t, 4), "");
    ck_assert_double_eq(rec_dataset_number(ds, col(ds, "n"), 4), 5);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_table_bom_crlf_blank_lines_tsv)
{
    rec_table_options *o = options();
    ck_assert_rec_ok(rec_table_options_set_delimiter(o, '\t'));
    rec_dataset *ds;
    ck_assert_rec_ok(parse(&ds, "\xEF\xBB\xBFitem\tscore\r\n\r\nx\t1\r\n\ny\t2\r\n\r\n", o));
    ck_assert_uint_eq(rec_dataset_size(ds), 2);
    ck_assert_str_eq(rec_dataset_column_name(ds, 0), "item"); /* the BOM is gone */
    ck_assert_str_eq(rec_dataset_string(ds, 0, 1), "y");
    rec_dataset_free(ds);
    /* without skipping, a blank line is a row of one field */
    ck_assert_rec_ok(rec_table_options_set_skip_blank_lines(o, 0));
    ck_assert_rec_fails(parse(&ds, "item\tscore\nx\t1\n\ny\t2\n", o), REC_EFORMAT,
                        "t.csv:3: expected 2 fields, found 1");
    ck_assert_ptr_null(ds);
    rec_table_options_free(o);
}
END_TEST

START_TEST(test_table_types_selection_renaming)
{
    rec_table_options *o = options();
    ck_assert_rec_ok(rec_table_options_set_column(o, "sku", REC_TABLE_STRING, "item"));
    ck_assert_rec_ok(rec_table_options_set_column(o, "stars", REC_TABLE_INTEGER, NULL));
    ck_assert_rec_ok(rec_table_options_set_column(o, "code", REC_TABLE_ID, NULL));
    ck_assert_rec_ok(rec_table_options_set_column(o, "tags", REC_TABLE_STRING_LIST, NULL));
    ck_assert_rec_ok(rec_table_options_set_list_separator(o, "tags", ';'));
    ck_assert_rec_ok(rec_table_options_set_column(o, "note", REC_TABLE_SKIP, NULL));
    rec_dataset *ds;
    ck_assert_rec_ok(parse(&ds, "sku,stars,code,tags,note,extra\n"
                                "17,4,007,red;big,x,1\n"
                                "18,-2,8,,y,2\n"
                                "19,3,9,a;;b;,z,3\n", o));
    ck_assert_uint_eq(rec_dataset_n_columns(ds), 5); /* note skipped, extra kept */
    ck_assert_int_eq(rec_dataset_column_type(ds, col(ds, "item")), REC_COLUMN_STRING);
    ck_assert_str_eq(rec_dataset_string(ds, col(ds, "item"), 0), "17");
    ck_assert_double_eq(rec_dataset_number(ds, col(ds, "stars"), 1), -2);
    ck_assert_str_eq(rec_dataset_string(ds, col(ds, "code"), 0), "007");
    const char *got[4];
    size_t n;
    uint32_t tags = col(ds, "tags");
    ck_assert_int_eq(rec_dataset_column_type(ds, tags), REC_COLUMN_STRING_LIST);
    ck_assert_rec_ok(rec_dataset_string_list(got, 4, &n, ds, tags, 0));
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(got[1], "big");
    ck_assert_rec_ok(rec_dataset_string_list(got, 4, &n, ds, tags, 1));
    ck_assert_uint_eq(n, 0);
    ck_assert_rec_ok(rec_dataset_string_list(got, 4, &n, ds, tags, 2));
    ck_assert_uint_eq(n, 2); /* empty values dropped */
    ck_assert_str_eq(got[1], "b");
    ck_assert_int_eq(rec_dataset_column(&(uint32_t){0}, ds, "note"), REC_ENOTFOUND);
    rec_dataset_free(ds);
    /* only the listed columns */
    ck_assert_rec_ok(rec_table_options_set_only_listed(o, 1));
    ck_assert_rec_ok(parse(&ds, "sku,stars,code,tags,note,extra\n17,4,7,a,x,1\n", o));
    ck_assert_uint_eq(rec_dataset_n_columns(ds), 4);
    ck_assert_int_eq(rec_dataset_column(&(uint32_t){0}, ds, "extra"), REC_ENOTFOUND);
    rec_dataset_free(ds);
    rec_table_options_free(o);
}
END_TEST

START_TEST(test_table_no_header_and_positions)
{
    rec_table_options *o = options();
    ck_assert_rec_ok(rec_table_options_set_header(o, 0));
    ck_assert_rec_ok(rec_table_options_set_quote(o, '\0'));
    ck_assert_rec_ok(rec_table_options_set_delimiter(o, '|'));
    ck_assert_rec_ok(rec_table_options_set_column(o, "column_2", REC_TABLE_STRING, "title"));
    rec_dataset *ds;
    ck_assert_rec_ok(parse(&ds, "1|\"Heat\"|5\n2|Up|4\n", o));
    ck_assert_uint_eq(rec_dataset_size(ds), 2);
    ck_assert_str_eq(rec_dataset_string(ds, col(ds, "title"), 0), "\"Heat\""); /* no quoting */
    ck_assert_double_eq(rec_dataset_number(ds, col(ds, "column_3"), 1), 4);
    rec_dataset_free(ds);
    rec_table_options_free(o);
}
END_TEST

START_TEST(test_table_duplicate_header_names)
{
    rec_dataset *ds;
    ck_assert_rec_fails(parse(&ds, "a,b,a\n1,2,3\n", NULL), REC_EFORMAT,
                        "t.csv:1: columns 1 and 3 are both named 'a' (rename or skip one: its "
                        "name in the options is 'column_3')");
    rec_table_options *o = options();
    ck_assert_rec_ok(rec_table_options_set_column(o, "column_3", REC_TABLE_NUMBER, "a2"));
    ck_assert_rec_ok(parse(&ds, "a,b,a\n1,2,3\n", o));
    ck_assert_double_eq(rec_dataset_number(ds, col(ds, "a2"), 0), 3);
    rec_dataset_free(ds);
    rec_table_options_free(o);
}
END_TEST

/* A header of 100,000 fields, the last named as the first: found in one pass over the names
 * (comparing every pair would be 5 · 10^9 comparisons). */
START_TEST(test_table_wide_header)
{
    size_t n = 100000, cap = n * 12 + 64, k = 0;
    char *text = malloc(cap);
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(text + k, cap - k, i + 1 < n ? "c%zu," : "c0\n", i);
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(text + k, cap - k, i + 1 < n ? "1," : "1\n");
    rec_dataset *ds;
    ck_assert_rec_fails(rec_dataset_parse_table(&ds, text, k, "wide.csv", NULL), REC_EFORMAT,
                        "wide.csv:1: columns 1 and 100000 are both named 'c0'");
    free(text);
}
END_TEST

START_TEST(test_table_missing_policies)
{
    rec_table_options *o = options();
    ck_assert_rec_ok(rec_table_options_set_column(o, "name", REC_TABLE_STRING, NULL));
    rec_dataset *ds;
    /* allowed: "" is a string of its own, NaN a missing number */
    ck_assert_rec_ok(parse(&ds, "name,x\n,1\nbo,\n", o));
    ck_assert_str_eq(rec_dataset_string(ds, 0, 0), "");
    ck_assert(isnan(rec_dataset_number(ds, 1, 1)));
    rec_dataset_free(ds);
    ck_assert_rec_ok(rec_table_options_set_missing(o, "x", REC_MISSING_ERROR));
    ck_assert_rec_fails(parse(&ds, "name,x\n,1\nbo,\n", o), REC_EFORMAT,
                        "rec_dataset_parse_table: t.csv:3: column 'x' (2): empty value (the "
                        "column refuses missing values)");
    ck_assert_rec_ok(rec_table_options_set_missing(o, NULL, REC_MISSING_ERROR));
    ck_assert_rec_fails(parse(&ds, "name,x\n,1\n", o), REC_EFORMAT,
                        "t.csv:2: column 'name' (1): empty value");
    rec_table_options_free(o);
}
END_TEST

START_TEST(test_table_inference_rows_and_remedy)
{
    rec_table_options *o = options();
    ck_assert_rec_ok(rec_table_options_set_infer_rows(o, 2));
    rec_dataset *ds;
    ck_assert_rec_fails(parse(&ds, "price\n1\n2\nthree\n", o), REC_EFORMAT,
                        "t.csv:4: column 'price' (1): 'three' is not a number (the type was "
                        "inferred from the first 2 rows; set it with "
                        "rec_table_options_set_column)");
    ck_assert_rec_ok(rec_table_options_set_infer_rows(o, 3));
    ck_assert_rec_ok(parse(&ds, "price\n1\n2\nthree\n", o));
    ck_assert_int_eq(rec_dataset_column_type(ds, 0), REC_COLUMN_STRING);
    rec_dataset_free(ds);
    /* id names: user, item, *_id, camelCase Id */
    ck_assert_rec_ok(parse(&ds, "user,itemId,movie_id,count,ID\n1,2,3,4,5\n", NULL));
    ck_assert_int_eq(rec_dataset_column_type(ds, 0), REC_COLUMN_STRING);
    ck_assert_int_eq(rec_dataset_column_type(ds, 1), REC_COLUMN_STRING);
    ck_assert_int_eq(rec_dataset_column_type(ds, 2), REC_COLUMN_STRING);
    ck_assert_int_eq(rec_dataset_column_type(ds, 3), REC_COLUMN_NUMBER);
    ck_assert_int_eq(rec_dataset_column_type(ds, 4), REC_COLUMN_STRING);
    rec_dataset_free(ds);
    /* an inferred id column refuses a later non-integer */
    ck_assert_rec_ok(rec_table_options_set_infer_rows(o, 2));
    ck_assert_rec_fails(parse(&ds, "user_id\n1\n2\nu3\n", o), REC_EFORMAT,
                        "t.csv:4: column 'user_id' (1): 'u3' is not an integer id (the type "
                        "was inferred");
    /* an all-empty column is a string column */
    ck_assert_rec_ok(parse(&ds, "a,b\n1,\n2,\n", NULL));
    ck_assert_int_eq(rec_dataset_column_type(ds, 1), REC_COLUMN_STRING);
    rec_dataset_free(ds);
    rec_table_options_free(o);
}
END_TEST

START_TEST(test_table_numbers_trimmed_and_strict)
{
    rec_table_options *o = options();
    ck_assert_rec_ok(rec_table_options_set_column(o, "x", REC_TABLE_NUMBER, NULL));
    rec_dataset *ds;
    ck_assert_rec_ok(parse(&ds, "x\n 3.5 \n-1e3\n", o));
    ck_assert_double_eq(rec_dataset_number(ds, 0, 0), 3.5);
    ck_assert_double_eq(rec_dataset_number(ds, 0, 1), -1000);
    rec_dataset_free(ds);
    ck_assert_rec_fails(parse(&ds, "x\n3,5\n", o), REC_EFORMAT, "expected 1 field, found 2");
    ck_assert_rec_fails(parse(&ds, "x\nnan\n", o), REC_EFORMAT,
                        "t.csv:2: column 'x' (1): 'nan' is not a finite number");
    ck_assert_rec_fails(parse(&ds, "x\n1e999\n", o), REC_EFORMAT, "'1e999' is not a finite number");
    ck_assert_rec_fails(parse(&ds, "x\n0x10\n", o), REC_EFORMAT, "'0x10' is not a number");
    ck_assert_rec_ok(rec_table_options_set_column(o, "x", REC_TABLE_INTEGER, NULL));
    ck_assert_rec_fails(parse(&ds, "x\n2.5\n", o), REC_EFORMAT, "'2.5' is not an integer");
    ck_assert_rec_fails(parse(&ds, "x\n9007199254740993\n", o), REC_EFORMAT,
                        "'9007199254740993' is beyond 2^53 in magnitude");
    ck_assert_rec_ok(parse(&ds, "x\n9007199254740992\n", o));
    ck_assert_double_eq(rec_dataset_number(ds, 0, 0), 9007199254740992.0);
    rec_dataset_free(ds);
    rec_table_options_free(o);
}
END_TEST

/* ---- refusals ----------------------------------------------------------------------------- */

START_TEST(test_table_field_count_errors)
{
    rec_dataset *ds;
    ck_assert_rec_fails(parse(&ds, "a,b,c,d,e,f\n1,2,3,4,5,6\n1,2,3,4,5\n", NULL), REC_EFORMAT,
                        "rec_dataset_parse_table: t.csv:3: expected 6 fields, found 5");
    ck_assert_rec_fails(parse(&ds, "a,b\n1,2,3\n", NULL), REC_EFORMAT,
                        "t.csv:2: expected 2 fields, found 3");
    /* the line of a record is where it starts, after a quoted newline */
    ck_assert_rec_fails(parse(&ds, "a,b\n\"x\ny\",2\n1\n", NULL), REC_EFORMAT,
                        "t.csv:4: expected 2 fields, found 1");
    ck_assert_ptr_null(ds);
}
END_TEST

START_TEST(test_table_quote_errors)
{
    rec_dataset *ds;
    ck_assert_rec_fails(parse(&ds, "a,title\n1,x\n2,\"open\nand never closed\n", NULL),
                        REC_EFORMAT, "t.csv:3: column 'title' (2): unterminated quoted field");
    ck_assert_rec_fails(parse(&ds, "a,title\n1,\"Heat\"x\n", NULL), REC_EFORMAT,
                        "t.csv:2: column 'title' (2): 'x' after the closing quote");
    /* a stray quote runs to the next one: the record's first line is named, and the other */
    ck_assert_rec_fails(parse(&ds, "a,title\n1,\"x\n2,\"y\"\n", NULL), REC_EFORMAT,
                        "t.csv:2: column 'title' (2): 'y' after the closing quote on line 3 (a "
                        "quoted field opens on this line");
    ck_assert_rec_fails(parse(&ds, "\"a,b\n", NULL), REC_EFORMAT,
                        "t.csv:1: field 1: unterminated quoted field");
}
END_TEST

START_TEST(test_table_encoding_errors)
{
    rec_dataset *ds;
    static const char latin1[] = "id,city\n1,caf\xE9\n";
    ck_assert_rec_fails(parse(&ds, latin1, NULL), REC_EFORMAT,
                        "t.csv:2: column 'city' (2): not valid UTF-8 (byte 0xE9 at offset 3 of "
                        "the field)");
    static const char overlong[] = "id,city\n1,\xC0\xAF\n";
    ck_assert_rec_fails(parse(&ds, overlong, NULL), REC_EFORMAT, "byte 0xC0 at offset 0");
    static const char nul[] = "id,city\n1,a\0b\n";
    ck_assert_rec_fails(rec_dataset_parse_table(&ds, nul, sizeof nul - 1, "t.csv", NULL),
                        REC_EFORMAT, "t.csv:2: column 'city' (2): NUL byte at offset 1");
    static const char bad_header[] = "id,\xFF\n1,2\n";
    ck_assert_rec_fails(parse(&ds, bad_header, NULL), REC_EFORMAT,
                        "t.csv:1: header field 2: not valid UTF-8 (byte 0xFF");
    /* valid UTF-8 passes through */
    ck_assert_rec_ok(parse(&ds, "id,city\n1,Zürich\n", NULL));
    ck_assert_str_eq(rec_dataset_string(ds, 1, 0), "Zürich");
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_table_empty_inputs)
{
    rec_dataset *ds;
    ck_assert_rec_fails(parse(&ds, "", NULL), REC_EFORMAT, "t.csv:1: empty file");
    ck_assert_rec_fails(parse(&ds, "\n\n", NULL), REC_EFORMAT, "t.csv:1: empty file");
    ck_assert_rec_fails(parse(&ds, "a,b\n", NULL), REC_EFORMAT,
                        "t.csv:1: no data rows after the header");
    rec_table_options *o = options();
    ck_assert_rec_ok(rec_table_options_set_column(o, "a", REC_TABLE_SKIP, NULL));
    ck_assert_rec_fails(parse(&ds, "a\n1\n", o), REC_EINVAL, "every column is skipped");
    rec_table_options_free(o);
}
END_TEST

START_TEST(test_table_unknown_column_in_options)
{
    rec_table_options *o = options();
    ck_assert_rec_ok(rec_table_options_set_column(o, "ratin", REC_TABLE_NUMBER, NULL));
    rec_dataset *ds;
    ck_assert_rec_fails(parse(&ds, "user,rating\nu,1\n", o), REC_ENOTFOUND,
                        "t.csv has no column 'ratin' (its columns: 'user', 'rating')");
    rec_table_options_free(o);
}
END_TEST

START_TEST(test_table_files)
{
    rec_dataset *ds;
    const char *p = write_file("r.csv", "u,i\na,b\n", 8);
    ck_assert_rec_ok(rec_dataset_load_table(&ds, p, NULL));
    ck_assert_uint_eq(rec_dataset_size(ds), 1);
    rec_dataset_free(ds);
    char missing[160];
    snprintf(missing, sizeof missing, "%s/none.csv", dir);
    ck_assert_rec_fails(rec_dataset_load_table(&ds, missing, NULL), REC_EIO,
                        "none.csv: No such file or directory");
    ck_assert_rec_fails(rec_dataset_load_table(&ds, dir, NULL), REC_EIO, "it is a directory");
    char fifo[160];
    snprintf(fifo, sizeof fifo, "%s/pipe", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    /* a FIFO with no writer neither blocks nor loads */
    ck_assert_rec_fails(rec_dataset_load_table(&ds, fifo, NULL), REC_EIO, "not a regular file");
    p = write_file("bad.csv", "u,i\na,b\nc\n", 10);
    ck_assert_rec_fails(rec_dataset_load_table(&ds, p, NULL), REC_EFORMAT,
                        "bad.csv:3: expected 2 fields, found 1");
}
END_TEST

/* Records longer than the 1 MiB read block, and quoted fields straddling block ends. */
START_TEST(test_table_across_blocks)
{
    size_t rows = 30000, cap = rows * 64 + (1 << 21);
    char *text = malloc(cap);
    size_t n = (size_t)sprintf(text, "key,text,x\n");
    for (size_t r = 0; r < rows; r++)
        n += (size_t)sprintf(text + n, r % 3 ? "k%zu,\"q,\"\"%zu\"\"\n\",%zu\n" : "k%zu,t%zu,%zu\n",
                             r, r, r);
    /* one field of 1.5 MiB */
    n += (size_t)sprintf(text + n, "big,\"");
    memset(text + n, 'z', 3 << 19);
    n += 3 << 19;
    n += (size_t)sprintf(text + n, "\",1\n");
    const char *p = write_file("big.csv", text, n);
    rec_dataset *ds;
    ck_assert_rec_ok(rec_dataset_load_table(&ds, p, NULL));
    ck_assert_uint_eq(rec_dataset_size(ds), rows + 1);
    uint32_t t = col(ds, "text");
    for (size_t r = 0; r < rows; r += 997) {
        char want[64];
        snprintf(want, sizeof want, r % 3 ? "q,\"%zu\"\n" : "t%zu", r);
        ck_assert_str_eq(rec_dataset_string(ds, t, r), want);
        ck_assert_double_eq(rec_dataset_number(ds, col(ds, "x"), r), (double)r);
    }
    ck_assert_uint_eq(strlen(rec_dataset_string(ds, t, rows)), 3 << 19);
    rec_dataset_free(ds);
    /* the same bytes from memory */
    ck_assert_rec_ok(rec_dataset_parse_table(&ds, text, n, "big.csv", NULL));
    ck_assert_uint_eq(rec_dataset_size(ds), rows + 1);
    rec_dataset_free(ds);
    free(text);
}
END_TEST

START_TEST(test_table_option_errors)
{
    rec_table_options *o = options();
    ck_assert_rec_fails(rec_table_options_create(NULL), REC_EINVAL, "out is NULL");
    ck_assert_rec_fails(rec_table_options_set_delimiter(NULL, ','), REC_EINVAL, "options is NULL");
    ck_assert_rec_fails(rec_table_options_set_delimiter(o, '\n'), REC_EINVAL, "must not be NUL");
    ck_assert_rec_fails(rec_table_options_set_delimiter(o, '"'), REC_EINVAL,
                        "is the quote character");
    ck_assert_rec_fails(rec_table_options_set_quote(o, ','), REC_EINVAL, "is the delimiter");
    ck_assert_rec_fails(rec_table_options_set_quote(o, '\r'), REC_EINVAL, "must not be");
    ck_assert_rec_fails(rec_table_options_set_infer_rows(o, 0), REC_EINVAL, "at least 1");
    ck_assert_rec_fails(rec_table_options_set_column(o, NULL, REC_TABLE_STRING, NULL),
                        REC_EINVAL, "column is NULL");
    ck_assert_rec_fails(rec_table_options_set_column(o, "", REC_TABLE_STRING, NULL),
                        REC_EINVAL, "column is empty");
    ck_assert_rec_fails(rec_table_options_set_column(o, "a", (rec_table_type)9, NULL),
                        REC_EINVAL, "unknown type 9");
    ck_assert_rec_fails(rec_table_options_set_column(o, "a", REC_TABLE_STRING, ""),
                        REC_EINVAL, "rename is empty");
    ck_assert_rec_ok(rec_table_options_set_column(o, "a", REC_TABLE_STRING, "x"));
    ck_assert_rec_fails(rec_table_options_set_column(o, "b", REC_TABLE_STRING, "x"),
                        REC_EINVAL, "column 'b' would be named 'x', as column 'a' is");
    ck_assert_rec_fails(rec_table_options_set_list_separator(o, "t", ','), REC_EINVAL,
                        "must not be NUL, '\\n', '\\r' or the delimiter");
    ck_assert_rec_ok(rec_table_options_set_list_separator(o, "t", ';'));
    ck_assert_rec_fails(rec_table_options_set_delimiter(o, ';'), REC_EINVAL,
                        "';' is the list separator of column 't'");
    ck_assert_rec_fails(rec_table_options_set_missing(o, "t", (rec_missing)5), REC_EINVAL,
                        "unknown policy 5");
    rec_dataset *ds = (rec_dataset *)o;
    ck_assert_rec_fails(rec_dataset_load_table(NULL, "x", NULL), REC_EINVAL, "out is NULL");
    ck_assert_rec_fails(rec_dataset_load_table(&ds, NULL, NULL), REC_EINVAL, "path is NULL");
    ck_assert_ptr_null(ds);
    ck_assert_rec_fails(rec_dataset_parse_table(&ds, NULL, 3, NULL, NULL), REC_EINVAL,
                        "data is NULL and size is 3");
    ck_assert_rec_fails(rec_dataset_parse_table(&ds, NULL, 0, NULL, NULL), REC_EFORMAT,
                        "<memory>:1: empty file");
    rec_table_options_free(o);
    rec_table_options_free(NULL);
}
END_TEST

/* Hostile headers and values never reach the message raw. */
START_TEST(test_table_messages_are_quoted)
{
    rec_table_options *o = options();
    ck_assert_rec_ok(rec_table_options_set_infer_rows(o, 1));
    rec_dataset *ds;
    ck_assert_rec_fails(parse(&ds, "n\x1b[31m\n1\nq\x1b\n", o), REC_EFORMAT, "is not a number");
    ck_assert_ptr_null(strchr(rec_last_error(), '\x1b'));
    ck_assert_ptr_nonnull(strstr(rec_last_error(), "column 'n\\x1"));
    rec_table_options_free(o);
}
END_TEST

static Suite *table_suite(void)
{
    Suite *s = suite_create("table");
    TCase *tc = tcase_create("read");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_table_header_names_and_inferred_types);
    tcase_add_test(tc, test_table_rfc4180_quoting);
    tcase_add_test(tc, test_table_bom_crlf_blank_lines_tsv);
    tcase_add_test(tc, test_table_types_selection_renaming);
    tcase_add_test(tc, test_table_no_header_and_positions);
    tcase_add_test(tc, test_table_duplicate_header_names);
    tcase_add_test(tc, test_table_wide_header);
    tcase_add_test(tc, test_table_missing_policies);
    tcase_add_test(tc, test_table_inference_rows_and_remedy);
    tcase_add_test(tc, test_table_numbers_trimmed_and_strict);
    tcase_add_test(tc, test_table_files);
    tcase_add_test(tc, test_table_across_blocks);
    suite_add_tcase(s, tc);
    tc = tcase_create("refuse");
    tcase_add_test(tc, test_table_field_count_errors);
    tcase_add_test(tc, test_table_quote_errors);
    tcase_add_test(tc, test_table_encoding_errors);
    tcase_add_test(tc, test_table_empty_inputs);
    tcase_add_test(tc, test_table_unknown_column_in_options);
    tcase_add_test(tc, test_table_option_errors);
    tcase_add_test(tc, test_table_messages_are_quoted);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rec_check_run(table_suite());
}
