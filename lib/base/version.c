#include "base/base.h"

uint32_t rec_version(void)
{
    return REC_VERSION_NUMBER;
}

const char *rec_version_string(void)
{
    return REC_VERSION_STRING;
}
