/* The options of the table loader (rec/table.h): defaults, and one spec per named column. */
#include "data/loader.h"

#include <stdio.h>
#include <string.h>

void rec__table_options_defaults(rec_table_options *o)
{
    memset(o, 0, sizeof *o);
    o->delim = ',';
    o->quote = '"';
    o->header = 1;
    o->skip_blank = 1;
    o->missing = REC_MISSING_ALLOW;
    o->infer_rows = 1000;
}

void rec__table_options_release(rec_table_options *o)
{
    for (size_t i = 0; i < o->n_specs; i++) {
        rec__free(o->specs[i].name);
        rec__free(o->specs[i].rename);
    }
    rec__free(o->specs);
    o->specs = NULL;
    o->n_specs = o->cap_specs = 0;
}

rec__table_spec *rec__table_options_spec(rec_table_options *o, const char *name)
{
    for (size_t i = 0; i < o->n_specs; i++)
        if (strcmp(o->specs[i].name, name) == 0)
            return &o->specs[i];
    if (o->n_specs == o->cap_specs) {
        size_t cap = o->cap_specs ? 2 * o->cap_specs : 8;
        rec__table_spec *bigger = rec__realloc(o->specs, cap * sizeof *bigger);
        if (!bigger)
            return NULL;
        o->specs = bigger;
        o->cap_specs = cap;
    }
    char *copy = rec__strdup(name);
    if (!copy)
        return NULL;
    rec__table_spec *s = &o->specs[o->n_specs++];
    memset(s, 0, sizeof *s);
    s->name = copy;
    s->type = REC_TABLE_AUTO;
    s->missing = -1;
    return s;
}

rec_status rec__table_options_add_position(rec_table_options *o, uint32_t pos, const char *name,
                                           int type, int missing)
{
    char field[32];
    snprintf(field, sizeof field, "column_%lu", (unsigned long)pos + 1);
    if (o->n_specs == o->cap_specs) {
        size_t cap = o->cap_specs ? 2 * o->cap_specs : 4;
        rec__table_spec *bigger = rec__realloc(o->specs, cap * sizeof *bigger);
        if (!bigger)
            return REC_ENOMEM;
        o->specs = bigger;
        o->cap_specs = cap;
    }
    rec__table_spec *s = &o->specs[o->n_specs];
    memset(s, 0, sizeof *s);
    s->name = rec__strdup(field);
    s->rename = rec__strdup(name);
    if (!s->name || !s->rename) {
        rec__free(s->name);
        rec__free(s->rename);
        return REC_ENOMEM;
    }
    s->type = type;
    s->listed = 1;
    s->missing = missing;
    o->n_specs++;
    return REC_OK;
}

rec_status rec_table_options_create(rec_table_options **out)
{
    if (!out)
        return rec__error(REC_EINVAL, "rec_table_options_create: out is NULL");
    *out = rec__malloc(sizeof **out);
    if (!*out)
        return rec__error(REC_ENOMEM, "rec_table_options_create: out of memory");
    rec__table_options_defaults(*out);
    return REC_OK;
}

void rec_table_options_free(rec_table_options *o)
{
    if (!o)
        return;
    rec__table_options_release(o);
    rec__free(o);
}

/* A byte that cannot separate anything: it ends lines or strings. */
static int is_line_byte(char c)
{
    return c == '\0' || c == '\n' || c == '\r';
}

rec_status rec_table_options_set_delimiter(rec_table_options *o, char delimiter)
{
    static const char FN[] = "rec_table_options_set_delimiter";
    if (!o)
        return rec__error(REC_EINVAL, "%s: options is NULL", FN);
    if (is_line_byte(delimiter))
        return rec__error(REC_EINVAL, "%s: the delimiter must not be NUL, '\\n' or '\\r'", FN);
    if (delimiter == o->quote)
        return rec__error(REC_EINVAL, "%s: the delimiter '%c' is the quote character", FN,
                          delimiter);
    for (size_t i = 0; i < o->n_specs; i++)
        if (o->specs[i].list_sep == delimiter)
            return rec__error(REC_EINVAL, "%s: '%c' is the list separator of column '%s'", FN,
                              delimiter, o->specs[i].name);
    o->delim = delimiter;
    return REC_OK;
}

rec_status rec_table_options_set_quote(rec_table_options *o, char quote)
{
    static const char FN[] = "rec_table_options_set_quote";
    if (!o)
        return rec__error(REC_EINVAL, "%s: options is NULL", FN);
    if (quote == '\n' || quote == '\r')
        return rec__error(REC_EINVAL, "%s: the quote must not be '\\n' or '\\r'", FN);
    if (quote != '\0' && quote == o->delim)
        return rec__error(REC_EINVAL, "%s: the quote '%c' is the delimiter", FN, quote);
    o->quote = quote;
    return REC_OK;
}

rec_status rec_table_options_set_header(rec_table_options *o, int has_header)
{
    if (!o)
        return rec__error(REC_EINVAL, "rec_table_options_set_header: options is NULL");
    o->header = has_header != 0;
    return REC_OK;
}

rec_status rec_table_options_set_infer_rows(rec_table_options *o, size_t n_rows)
{
    if (!o || n_rows == 0)
        return rec__error(REC_EINVAL, "rec_table_options_set_infer_rows: %s",
                          o ? "n_rows must be at least 1" : "options is NULL");
    o->infer_rows = n_rows;
    return REC_OK;
}

rec_status rec_table_options_set_skip_blank_lines(rec_table_options *o, int skip)
{
    if (!o)
        return rec__error(REC_EINVAL, "rec_table_options_set_skip_blank_lines: options is NULL");
    o->skip_blank = skip != 0;
    return REC_OK;
}

rec_status rec_table_options_set_only_listed(rec_table_options *o, int only)
{
    if (!o)
        return rec__error(REC_EINVAL, "rec_table_options_set_only_listed: options is NULL");
    o->only_listed = only != 0;
    return REC_OK;
}

/* The checks every per-column setter shares. */
static rec_status check_column(const char *fn, const rec_table_options *o, const char *column)
{
    if (!o)
        return rec__error(REC_EINVAL, "%s: options is NULL", fn);
    if (!column || !*column)
        return rec__error(REC_EINVAL, "%s: column is %s", fn, column ? "empty" : "NULL");
    return REC_OK;
}

rec_status rec_table_options_set_column(rec_table_options *o, const char *column,
                                        rec_table_type type, const char *rename)
{
    static const char FN[] = "rec_table_options_set_column";
    rec_status rc = check_column(FN, o, column);
    if (rc != REC_OK)
        return rc;
    if ((int)type < REC_TABLE_AUTO || type > REC_TABLE_SKIP)
        return rec__error(REC_EINVAL, "%s: column '%s': unknown type %d", FN, column, (int)type);
    if (rename && !*rename)
        return rec__error(REC_EINVAL, "%s: column '%s': rename is empty", FN, column);
    const char *new_name = rename ? rename : column;
    for (size_t i = 0; i < o->n_specs; i++) {
        const rec__table_spec *s = &o->specs[i];
        if (s->listed && strcmp(s->name, column) != 0 && s->type != REC_TABLE_SKIP &&
            type != REC_TABLE_SKIP && strcmp(s->rename ? s->rename : s->name, new_name) == 0)
            return rec__error(REC_EINVAL, "%s: column '%s' would be named '%s', as column '%s' "
                              "is", FN, column, new_name, s->name);
    }
    char *copy = NULL;
    if (rename && !(copy = rec__strdup(rename)))
        return rec__error(REC_ENOMEM, "%s: out of memory", FN);
    rec__table_spec *s = rec__table_options_spec(o, column);
    if (!s) {
        rec__free(copy);
        return rec__error(REC_ENOMEM, "%s: out of memory", FN);
    }
    rec__free(s->rename);
    s->rename = copy;
    s->type = type;
    s->listed = 1;
    return REC_OK;
}

rec_status rec_table_options_set_list_separator(rec_table_options *o, const char *column,
                                                char separator)
{
    static const char FN[] = "rec_table_options_set_list_separator";
    rec_status rc = check_column(FN, o, column);
    if (rc != REC_OK)
        return rc;
    if (is_line_byte(separator) || separator == o->delim)
        return rec__error(REC_EINVAL, "%s: column '%s': the separator must not be NUL, '\\n', "
                          "'\\r' or the delimiter", FN, column);
    rec__table_spec *s = rec__table_options_spec(o, column);
    if (!s)
        return rec__error(REC_ENOMEM, "%s: out of memory", FN);
    s->list_sep = separator;
    return REC_OK;
}

rec_status rec_table_options_set_missing(rec_table_options *o, const char *column,
                                         rec_missing policy)
{
    static const char FN[] = "rec_table_options_set_missing";
    if (!o)
        return rec__error(REC_EINVAL, "%s: options is NULL", FN);
    if (policy != REC_MISSING_ALLOW && policy != REC_MISSING_ERROR)
        return rec__error(REC_EINVAL, "%s: unknown policy %d", FN, (int)policy);
    if (!column) {
        o->missing = policy;
        return REC_OK;
    }
    if (!*column)
        return rec__error(REC_EINVAL, "%s: column is empty", FN);
    rec__table_spec *s = rec__table_options_spec(o, column);
    if (!s)
        return rec__error(REC_ENOMEM, "%s: out of memory", FN);
    s->missing = policy;
    return REC_OK;
}
