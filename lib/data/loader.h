/*
 * lib/data: the table loader's parts (rec/table.h). csv.c reads records from a file or a
 * buffer in blocks (RFC 4180 quoting); table_options.c holds the options; table.c turns
 * records into typed columns. The delimited and MovieLens loaders call rec__table_load with
 * options of their own. Never installed. (Not named table.h: abidiff matches headers by file
 * name, and would take the options' private layout for rec/table.h's public one.)
 */
#ifndef REC_LIB_DATA_LOADER_H
#define REC_LIB_DATA_LOADER_H

#include "data/data.h"

/* One column's settings, by its name in the file. */
typedef struct rec__table_spec {
    char *name;        /* the file's name for it (header name, or column_N) */
    char *rename;      /* its name in the dataset, or NULL */
    int type;          /* rec_table_type */
    int listed;        /* named through rec_table_options_set_column() */
    int missing;       /* rec_missing, or -1: the options' default */
    char list_sep;     /* '\0': the default '|' */
} rec__table_spec;

struct rec_table_options {
    char delim, quote;
    int header, skip_blank, only_listed;
    int missing;               /* default rec_missing */
    size_t infer_rows;
    rec__table_spec *specs;
    size_t n_specs, cap_specs;
    /* Not reachable through the public API: positional reading for the 1.0 delimited loader
     * and MovieLens's u.data, where a row needs at least min_fields fields and later ones are
     * ignored (0: every row has the first row's count). */
    size_t min_fields;
    int exact_fields;          /* with min_fields: exactly that many fields */
    int refuse_unterminated;   /* a last line without '\n' is an error (a cut-off copy) */
};

/* Defaults of rec_table_options_create(), for an options struct on the stack (no specs). */
REC_HIDDEN void rec__table_options_defaults(rec_table_options *o);
REC_HIDDEN void rec__table_options_release(rec_table_options *o);
/* Append a spec reading field pos (0-based) as column `name` of `type` under policy
 * `missing`, for positional reading; several specs may read one field. REC_ENOMEM, no
 * message set. */
REC_HIDDEN rec_status rec__table_options_add_position(rec_table_options *o, uint32_t pos,
                                                      const char *name, int type, int missing);
/* The spec for column `name`, created when absent (NULL on ENOMEM, no message set). */
REC_HIDDEN rec__table_spec *rec__table_options_spec(rec_table_options *o, const char *name);

/* ---- records (csv.c) ---------------------------------------------------------------------- */

enum {
    REC__CSV_OK = 0,
    REC__CSV_UNTERMINATED,   /* end of input inside a quoted field */
    REC__CSV_AFTER_QUOTE,    /* a byte other than delimiter or newline after a closing quote */
    REC__CSV_TOO_LONG,       /* one record longer than REC__CSV_MAX_RECORD */
    REC__CSV_IO              /* read(2) failed: errno in err_errno */
};

/* Bytes one record may span: bounds the memory a file without newlines (or with an
 * unclosed quote) makes the reader buffer. */
#define REC__CSV_MAX_RECORD ((size_t)1 << 30)

typedef struct rec__csv {
    int fd;                     /* the file, or -1 when reading mem */
    const char *mem;            /* the buffer source: bytes not yet copied */
    size_t mem_left;
    char *buf;                  /* buffered bytes: buf[pos .. len) not yet parsed */
    size_t cap, pos, len;
    int eof;                    /* nothing more to read into buf */
    char delim, quote;          /* quote '\0': none */
    size_t line;                /* 1-based line of buf[pos] */
    int bom_checked;            /* the start of the input was looked at for a BOM */
    /* the record last returned: fields point into buf (quotes removed, "" made "), valid
     * until the next call */
    rec__text_field *f;
    size_t n, cap_f;
    size_t rec_line;            /* line the record starts on */
    int blank;                  /* the record is an empty line */
    int unterminated;           /* the record ends the input without a '\n' */
    /* the failure when rec__csv_next returns -1 */
    int err, err_errno;
    size_t err_line, err_field; /* 1-based field number; err_line: where the record starts */
    size_t err_close_line;      /* REC__CSV_AFTER_QUOTE: the line of the closing quote */
    unsigned char err_byte;
} rec__csv;

/* Start reading fd (owned by the caller) or, when fd is -1, the size bytes of mem. Strips a
 * UTF-8 byte order mark at the start. REC_ENOMEM or REC_EIO (no message set). */
REC_HIDDEN rec_status rec__csv_open(rec__csv *c, int fd, const char *mem, size_t size,
                                    char delim, char quote);
/* Next record: 1 (fields in c->f[0 .. c->n)), 0 at the end, -1 on a failure (c->err...),
 * -2 for ENOMEM. */
REC_HIDDEN int rec__csv_next(rec__csv *c);
REC_HIDDEN void rec__csv_close(rec__csv *c);

/* ---- the loader (table.c) ----------------------------------------------------------------- */

/* Load a table from path (data NULL) or from data[0 .. size) called `name` in messages;
 * fn names the public function in messages. */
REC_HIDDEN rec_status rec__table_load(rec_dataset **out, const char *path, const char *data,
                                      size_t size, const char *name,
                                      const rec_table_options *o, const char *fn);

#endif
