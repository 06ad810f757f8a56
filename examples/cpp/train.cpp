// librec from C++: RAII handles (std::unique_ptr with the library's free functions as
// deleters) and exceptions carrying rec_last_error(). Trains the tutorial's enriched model
// on a small synthetic dataset, saves and reloads it, and ranks titles for one user.
//
//     ./train_cpp [model-file]
//
// Introduces: rec_model_create_preset_columns(), rec_model_build(), rec_model_fit() with a
// callback, rec_model_save() / rec_model_load(), rec_model_predict() on raw values.
#include <rec.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h> // getpid, for a temporary file name of our own

namespace rec {

// A failed call: the status and the detail message, read right after the failure.
class error : public std::runtime_error {
public:
    error(int status, const char *message)
        : std::runtime_error(std::string(rec_status_str(status)) + ": " + message),
          status_(status) {}
    int status() const noexcept { return status_; }

private:
    int status_;
};

inline void check(rec_status rc)
{
    if (rc != REC_OK)
        throw error(rc, rec_last_error());
}

// unique_ptr deleters that call the matching rec_*_free (all accept NULL).
template <typename T, void (*Free)(T *)> struct deleter {
    void operator()(T *p) const noexcept { Free(p); }
};
using model = std::unique_ptr<rec_model, deleter<rec_model, rec_model_free>>;
using dataset = std::unique_ptr<rec_dataset, deleter<rec_dataset, rec_dataset_free>>;
using optimizer = std::unique_ptr<rec_optimizer, deleter<rec_optimizer, rec_optimizer_free>>;

// Call a constructor `f(&out, args...)` and own its result (nothing leaks if it throws).
template <typename Ptr, typename F, typename... Args> Ptr make(F f, Args... args)
{
    typename Ptr::pointer raw = nullptr;
    check(f(&raw, args...));
    return Ptr(raw);
}

// Columns of raw values: strings and numbers, added by name.
using string_columns = std::vector<std::pair<const char *, std::vector<std::string>>>;
using number_columns = std::vector<std::pair<const char *, std::vector<double>>>;

inline dataset table(size_t rows, const string_columns &s, const number_columns &d)
{
    auto ds = make<dataset>(rec_dataset_create, rows);
    for (const auto &col : s) {
        std::vector<const char *> p;
        for (const auto &v : col.second)
            p.push_back(v.c_str());
        check(rec_dataset_add_strings(ds.get(), col.first, p.data(), p.size()));
    }
    for (const auto &col : d)
        check(rec_dataset_add_numbers(ds.get(), col.first, col.second.data(), col.second.size()));
    return ds;
}

inline std::vector<float> predict(const rec_model *m, const rec_dataset *ds)
{
    std::vector<float> out(rec_dataset_size(ds));
    check(rec_model_predict(m, ds, out.data(), out.size()));
    return out;
}

} // namespace rec

static const char *const words[] = {"star", "war", "night", "city", "love", "dark"};

static std::string title_of(size_t i)
{
    return std::string(words[i % 6]) + " " + words[(i / 6) % 6] + " (19" +
           std::to_string(50 + i % 50) + ")";
}

int main(int argc, char **argv)
{
    try {
        // 600 ratings of 12 users × 24 titles from a hidden rank-1 taste model
        const size_t rows = 600;
        std::vector<std::string> users, titles;
        std::vector<double> times, ratings;
        for (size_t r = 0; r < rows; r++) {
            size_t u = (r * 7) % 12, i = (r * 11 + r / 12) % 24;
            users.push_back("u" + std::to_string(u));
            titles.push_back(title_of(i));
            times.push_back(880000000.0 + 3600.0 * double(r));
            ratings.push_back(3.0 + (double(u) - 5.5) * (double(i) - 11.5) / 40.0);
        }
        auto ds = rec::table(rows, {{"user_id", users}, {"movie_title", titles}},
                             {{"timestamp", times}, {"user_rating", ratings}});

        // the preset's columns by role
        static const char *const columns[] = {"user", "user_id", "item", "movie_title", "time",
                                              "timestamp", "label", "user_rating", nullptr};
        auto m = rec::make<rec::model>(rec_model_create_preset_columns, REC_PRESET_ENRICHED,
                                       columns, uint64_t{42});
        rec::check(rec_model_build(m.get(), ds.get()));
        auto opt = rec::make<rec::optimizer>(rec_optimizer_create_adagrad, 0.1f);
        auto on_epoch = [](uint32_t epoch, const double *s, size_t, void *) -> int {
            if (epoch % 10 == 0)
                std::printf("epoch %2u: loss %.4f rmse %.4f\n", epoch, s[REC_STAT_LOSS],
                            s[REC_STAT_RMSE]);
            return 0;
        };
        rec::check(rec_model_fit(m.get(), opt.get(), ds.get(), nullptr, 30, 32, 128, on_epoch,
                                 nullptr));

        std::string path = argc > 1 ? argv[1]
                                    : (std::filesystem::temp_directory_path() /
                                       ("librec-cpp-example-" + std::to_string(getpid()) +
                                        ".rec"))
                                          .string();
        rec::check(rec_model_save(m.get(), path.c_str(), 0));
        auto loaded = rec::make<rec::model>(rec_model_load, path.c_str());
        if (argc <= 1)
            std::filesystem::remove(path);
        std::vector<float> a = rec::predict(m.get(), ds.get()),
                           b = rec::predict(loaded.get(), ds.get());
        if (std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) != 0)
            throw std::runtime_error("the loaded model predicts differently");
        std::printf("saved and loaded %s: predictions identical\n", path.c_str());

        // rank the 24 titles for user u11, at the latest timestamp
        std::vector<std::string> cand, who;
        std::vector<double> now;
        for (size_t i = 0; i < 24; i++) {
            cand.push_back(title_of(i));
            who.push_back("u11");
            now.push_back(times.back());
        }
        auto q = rec::table(cand.size(), {{"user_id", who}, {"movie_title", cand}},
                            {{"timestamp", now}});
        std::vector<float> score = rec::predict(loaded.get(), q.get());
        std::vector<size_t> order(cand.size());
        for (size_t i = 0; i < order.size(); i++)
            order[i] = i;
        std::sort(order.begin(), order.end(),
                  [&](size_t x, size_t y) { return score[x] > score[y]; });
        std::printf("top 3 for u11:\n");
        for (size_t k = 0; k < 3; k++)
            std::printf("  %.3f  %s\n", double(score[order[k]]), cand[order[k]].c_str());

        // errors surface as exceptions with the library's message
        try {
            auto bad = rec::make<rec::model>(rec_model_load, "/nonexistent/model.rec");
        } catch (const rec::error &e) {
            std::printf("expected failure: %s (status %d)\n", e.what(), e.status());
        }
        return 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
