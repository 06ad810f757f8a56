/* Compiled as C99 and as C++ with -Wall -Wextra -pedantic -Werror: the public headers must be
 * clean in both (extern "C" guards, no C11-only constructs). Also checks the umbrella header
 * declares what applications rely on. */
#include <rec.h>

int main(void)
{
    rec_model *m = 0;
    int rc = rec_model_create(&m, 1);
    size_t items = rec_model_catalog_size(m); /* rec/serve.h, through the umbrella header */
    rec_model_free(m);
    return (rc == REC_OK && items == 0 && rec_version() == REC_VERSION_NUMBER) ? 0 : 1;
}
