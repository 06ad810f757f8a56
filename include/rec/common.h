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

/**
 * @def REC_API
 * Marks a public function: exported from the shared library with default visibility (every
 * other symbol is hidden), or `__declspec(dllexport/dllimport)` on Windows unless REC_STATIC
 * is defined. Applications never need it.
 */
/**
 * @def REC_DEPRECATED(msg)
 * Marks a public function as deprecated: GCC and Clang warn with msg at each use (other
 * compilers ignore it); the function itself keeps working.
 */
/**
 * @def REC_BEGIN_DECLS
 * Opens `extern "C" {` when compiled as C++ (nothing in C), so every header can be included
 * from C++.
 */
/**
 * @def REC_END_DECLS
 * Closes the block opened by ::REC_BEGIN_DECLS.
 */

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

/* Opaque handle types: the layouts are private, so they can change without breaking a
 * binary. Each is created and freed by the functions of its own header. */
typedef struct rec_rng rec_rng;                       /**< seeded random generator (rec/rng.h) */
typedef struct rec_vocab rec_vocab;                   /**< string → index lookup (rec/vocab.h) */
typedef struct rec_embedding rec_embedding;           /**< embedding table (rec/embedding.h) */
typedef struct rec_dense rec_dense;                   /**< dense layer (rec/dense.h) */
typedef struct rec_optimizer rec_optimizer;           /**< SGD, Adagrad or Adam (rec/optimizer.h) */
typedef struct rec_discretization rec_discretization; /**< bucketizer (rec/discretization.h) */
typedef struct rec_normalization rec_normalization;   /**< standardizer (rec/normalization.h) */
typedef struct rec_textvec rec_textvec;               /**< text → token ids (rec/textvec.h) */
typedef struct rec_dataset rec_dataset;               /**< columnar table (rec/dataset.h) */
typedef struct rec_batches rec_batches;               /**< mini-batch iterator (rec/dataset.h) */
typedef struct rec_model rec_model;                   /**< ranking model (rec/model.h) */
typedef struct rec_table_options rec_table_options;   /**< how a table is read (rec/table.h) */

REC_END_DECLS

/** @} */
#endif
