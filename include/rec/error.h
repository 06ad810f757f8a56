/**
 * @file rec/error.h
 * @defgroup error Errors
 * Status strings and the per-thread detail message of the last failure.
 * @{
 */
#ifndef REC_ERROR_H
#define REC_ERROR_H

#include "common.h"

REC_BEGIN_DECLS

/**
 * Short static description of a status code ("invalid argument"). Unknown codes give
 * "unknown error". Never NULL.
 * @param status a ::rec_status code (any int is accepted)
 * @return a static NUL-terminated string, never NULL
 * @since 1.0
 */
REC_API const char *rec_status_str(int status);

/**
 * Detail message of the last failed librec call on the calling thread, naming the parameter,
 * file and line involved. Meaningful only right after a call returned a negative status on the
 * same thread; successful calls do not clear it. Never NULL ("" when nothing failed yet).
 * Ownership: borrowed, valid until the next librec call on this thread.
 * @return the message (borrowed), never NULL
 * @since 1.0
 */
REC_API const char *rec_last_error(void);

/**
 * Set the calling thread's rec_last_error() message and return code, so that code built on
 * librec (librec_mpi, bindings, callbacks) reports its failures through the same channel as
 * librec: `return rec_error_set(REC_EINVAL, "my_fn: n must be > 0");`.
 * @param code returned as is
 * @param message copied (truncated to 511 bytes); NULL sets ""
 * @return code
 * @since 1.0
 */
REC_API rec_status rec_error_set(rec_status code, const char *message);

REC_END_DECLS

/** @} */
#endif
