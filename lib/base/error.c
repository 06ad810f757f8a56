/* Status strings and the per-thread message of the last failure (libgit2's model, with the
 * message never NULL: libgit2#6618). */
#include "base/base.h"

#include <stdio.h>

static _Thread_local char last_message[512];

const char *rec_status_str(int status)
{
    switch (status) {
    case REC_OK: return "success";
    case REC_ERROR: return "error";
    case REC_ENOMEM: return "out of memory";
    case REC_EINVAL: return "invalid argument";
    case REC_ENOTFOUND: return "not found";
    case REC_EIO: return "input/output error";
    case REC_EFORMAT: return "malformed or unsupported data";
    case REC_ESHAPE: return "sizes do not match";
    case REC_ESTATE: return "call made in the wrong state";
    case REC_ENUMERIC: return "non-finite number";
    default: return "unknown error";
    }
}

const char *rec_last_error(void)
{
    return last_message;
}

rec_status rec_error_set(rec_status code, const char *message)
{
    snprintf(last_message, sizeof last_message, "%s", message ? message : "");
    return code;
}

rec_status rec__error(rec_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    /* vsnprintf truncates; a truncated message is still useful and never overflows. */
    vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
    return code;
}
