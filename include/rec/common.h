/**
 * @file rec/common.h
 * @defgroup common Common definitions
 * Export macros, status codes and the opaque handle types shared by every header.
 * @{
 */
#ifndef REC_COMMON_H
#define REC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && !defined(REC_STATIC)
#  ifdef REC_BUILDING
#    define REC_API __declspec(dllexport)
#  else
#    define REC_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) || defined(__clang__)
#  define REC_API __attribute__((visibility("default")))
#else
#  define REC_API
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define REC_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
#  define REC_DEPRECATED(msg)
#endif

#ifdef __cplusplus
#  define REC_BEGIN_DECLS extern "C" {
#  define REC_END_DECLS }
#else
#  define REC_BEGIN_DECLS
#  define REC_END_DECLS
#endif

REC_BEGIN_DECLS

/**
 * Status returned by every fallible librec call. Values are fixed forever; new codes are only
 * appended. Bindings should map an unknown negative value to ::REC_ERROR.
 */
typedef enum rec_status {
    REC_OK = 0,          /**< success */
    REC_ERROR = -1,      /**< unspecified failure */
    REC_ENOMEM = -2,     /**< an allocation failed */
    REC_EINVAL = -3,     /**< an argument is invalid (NULL, zero size, out of range) */
    REC_ENOTFOUND = -4,  /**< a key, column or token does not exist */
    REC_EIO = -5,        /**< a file could not be opened, read or written */
    REC_EFORMAT = -6,    /**< a file or buffer is malformed or of an unsupported version */
    REC_ESHAPE = -7,     /**< sizes of arguments disagree */
    REC_ESTATE = -8,     /**< call made in the wrong state (e.g. training an unbuilt model) */
    REC_ENUMERIC = -9    /**< NaN or infinity met in input, weights or loss */
} rec_status;

/** Opaque handle types; see their own headers. */
typedef struct rec_rng rec_rng;
typedef struct rec_vocab rec_vocab;
typedef struct rec_embedding rec_embedding;
typedef struct rec_dense rec_dense;
typedef struct rec_optimizer rec_optimizer;
typedef struct rec_discretization rec_discretization;
typedef struct rec_normalization rec_normalization;
typedef struct rec_textvec rec_textvec;
typedef struct rec_dataset rec_dataset;
typedef struct rec_batches rec_batches;
typedef struct rec_model rec_model;

REC_END_DECLS

/** @} */
#endif
