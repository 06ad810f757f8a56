/* SplitMix64-seeded xoshiro256** (Blackman & Vigna). Fixed forever: results must reproduce
 * across machines and releases, so nothing here depends on the platform's rand(). */
#include "base/base.h"

struct rec_rng {
    rec__rng r;
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void rec__rng_seed(rec__rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

uint64_t rec__rng_u64(rec__rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float rec__rng_uniform(rec__rng *r)
{
    /* top 24 bits → exactly representable float in [0, 1) */
    return (float)(rec__rng_u64(r) >> 40) * 0x1p-24f;
}

uint32_t rec__rng_below(rec__rng *r, uint32_t bound)
{
    /* Lemire's nearly-divisionless method: m = x·bound, reject the low part < 2^32 mod bound. */
    if (bound == 0)
        return 0;
    uint64_t m = (rec__rng_u64(r) >> 32) * (uint64_t)bound;
    uint32_t lo = (uint32_t)m;
    if (lo < bound) {
        uint32_t threshold = (uint32_t)(-bound) % bound;
        while (lo < threshold) {
            m = (rec__rng_u64(r) >> 32) * (uint64_t)bound;
            lo = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

void rec__rng_shuffle_u32(rec__rng *r, uint32_t *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        uint32_t j = rec__rng_below(r, (uint32_t)i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

rec_status rec_rng_create(rec_rng **out, uint64_t seed)
{
    if (!out)
        return rec__error(REC_EINVAL, "rec_rng_create: out is NULL");
    *out = rec__malloc(sizeof **out);
    if (!*out)
        return rec__error(REC_ENOMEM, "rec_rng_create: out of memory");
    rec__rng_seed(&(*out)->r, seed);
    return REC_OK;
}

void rec_rng_free(rec_rng *rng)
{
    rec__free(rng);
}

uint64_t rec_rng_next_u64(rec_rng *rng)
{
    return rng ? rec__rng_u64(&rng->r) : 0;
}

float rec_rng_uniform(rec_rng *rng)
{
    return rng ? rec__rng_uniform(&rng->r) : 0.0f;
}

uint32_t rec_rng_below(rec_rng *rng, uint32_t bound)
{
    return rng ? rec__rng_below(&rng->r, bound) : 0;
}

rec_status rec_rng_shuffle_u32(rec_rng *rng, uint32_t *values, size_t n)
{
    if (!rng)
        return rec__error(REC_EINVAL, "rec_rng_shuffle_u32: rng is NULL");
    if (!values && n > 0)
        return rec__error(REC_EINVAL, "rec_rng_shuffle_u32: values is NULL with n = %zu", n);
    if (n > UINT32_MAX)
        return rec__error(REC_EINVAL, "rec_rng_shuffle_u32: n = %zu exceeds 2^32 - 1", n);
    rec__rng_shuffle_u32(&rng->r, values, n);
    return REC_OK;
}
