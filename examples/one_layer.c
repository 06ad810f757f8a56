/* The tutorial's "one_layer" experiment on MovieLens 100K (see examples/README.md).
 * Introduces: rec_model_create_preset(REC_PRESET_ONE_LAYER), rec_model_build(), rec_model_fit(),
 * rec_model_evaluate(), rec_model_predict() on raw strings. */
#include "experiment.h"

int main(int argc, char **argv)
{
    return experiment_main(argc, argv, "one_layer", REC_PRESET_ONE_LAYER);
}
