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
 * "unknown error". Never NULL. @since 0.1
 */
REC_API const char *rec_status_str(int status);

/**
 * Detail message of the last failed librec call on the calling thread, naming the parameter,
 * file and line involved. Meaningful only right after a call returned a negative status on the
 * same thread; successful calls do not clear it. Never NULL ("" when nothing failed yet).
 * Ownership: borrowed, valid until the next librec call on this thread. @since 0.1
 */
REC_API const char *rec_last_error(void);

REC_END_DECLS

/** @} */
#endif
