// hnswlib's filtered search on the allowed sets bench/filtered.c writes, for
// the table in docs/benchmarks.md: the same rows, queries, M, ef_construction
// and ef, a BaseFilterFunctor over a bitmap of the allowed ids (hnswlib 0.8's
// filter), recall@10 against the exact 10 nearest allowed and single-thread
// QPS (median of 3 passes).
//
//   filtered_hnswlib BASE QUERIES ALLOWED_DIR [--rows N] [--m M] [--ef-construction E] [--ef EF]
//
// Built only when CMake is given hnswlib's headers (-DVDB_HNSWLIB_INCLUDE=DIR,
// the hnswlib/ folder's parent), e.g. from the PyPI sdist of hnswlib 0.8.0.
#include <hnswlib/hnswlib.h>
#include <vdb.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Rows {
    std::vector<float> data;
    size_t count = 0, dim = 0;
    const float *row(size_t i) const { return data.data() + i * dim; }
};

Rows load(const char *path, size_t limit)
{
    vdb_vectors *file = nullptr;
    if (vdb_vectors_open(&file, path, 0) != VDB_OK) {
        std::fprintf(stderr, "%s: %s\n", path, vdb_last_error());
        std::exit(1);
    }
    Rows rows;
    rows.dim = vdb_vectors_dim(file);
    rows.count = limit ? std::min<size_t>(limit, vdb_vectors_count(file)) : vdb_vectors_count(file);
    rows.data.resize(rows.count * rows.dim);
    for (size_t i = 0; i < rows.count; i++)
        std::memcpy(rows.data.data() + i * rows.dim, vdb_vectors_row(file, i), sizeof(float) * rows.dim);
    vdb_vectors_close(file);
    return rows;
}

std::vector<uint64_t> load_ids(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::vector<uint64_t> ids;
    uint64_t id;
    while (in.read(reinterpret_cast<char *>(&id), sizeof id))
        ids.push_back(id);
    if (!in.eof()) {
        std::fprintf(stderr, "cannot read %s\n", path.c_str());
        std::exit(1);
    }
    return ids;
}

class Allowed : public hnswlib::BaseFilterFunctor {
  public:
    explicit Allowed(std::vector<bool> bits) : bits_(std::move(bits)) {}
    bool operator()(hnswlib::labeltype id) override { return id < bits_.size() && bits_[id]; }

  private:
    std::vector<bool> bits_;
};

float squared_l2(const float *a, const float *b, size_t dim)
{
    float sum = 0;
    for (size_t i = 0; i < dim; i++)
        sum += (a[i] - b[i]) * (a[i] - b[i]);
    return sum;
}

// The exact k nearest allowed ids of each query.
std::vector<std::vector<uint64_t>> exact(const Rows &base, const Rows &queries, const std::vector<uint64_t> &ids,
                                         size_t k)
{
    std::vector<std::vector<uint64_t>> out(queries.count);
    for (size_t q = 0; q < queries.count; q++) {
        std::vector<std::pair<float, uint64_t>> all;
        for (uint64_t id : ids)
            all.emplace_back(squared_l2(queries.row(q), base.row(id), base.dim), id);
        size_t take = std::min(k, all.size());
        std::partial_sort(all.begin(), all.begin() + take, all.end());
        for (size_t i = 0; i < take; i++)
            out[q].push_back(all[i].second);
    }
    return out;
}

double seconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 4) {
        std::fprintf(stderr, "usage: filtered_hnswlib BASE QUERIES ALLOWED_DIR [--rows N] [--m M] "
                             "[--ef-construction E] [--ef EF]\n");
        return 2;
    }
    size_t rows = 0, m = 16, ef_construction = 200, ef = 64, k = 10;
    for (int i = 4; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        size_t value = std::stoull(argv[i + 1]);
        if (flag == "--rows")
            rows = value;
        else if (flag == "--m")
            m = value;
        else if (flag == "--ef-construction")
            ef_construction = value;
        else if (flag == "--ef")
            ef = value;
    }
    Rows base = load(argv[1], rows), queries = load(argv[2], 0);
    hnswlib::L2Space space(base.dim);
    hnswlib::HierarchicalNSW<float> index(&space, base.count, m, ef_construction, 42);
    double started = seconds();
    unsigned workers = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < workers; t++)
        threads.emplace_back([&, t] {
            for (size_t i = t; i < base.count; i += workers)
                index.addPoint(base.row(i), i);
        });
    for (auto &thread : threads)
        thread.join();
    std::fprintf(stderr, "hnswlib built %zu rows in %.1f s\n", base.count, seconds() - started);
    index.setEf(ef);

    const char *sets[][2] = {{"100%", "100"}, {"50%", "50"}, {"25%", "25"},   {"10%", "10"},
                             {"5%", "5"},     {"1%", "1"},   {"0.1%", "0.1"}, {"10 ids", "10ids"}};
    std::printf("| allowed | ids | way | recall@10 | QPS |\n|---|---|---|---|---|\n");
    for (auto &set : sets) {
        std::vector<uint64_t> ids = load_ids(std::string(argv[3]) + "/allowed-" + set[1] + ".u64");
        std::vector<bool> bits(base.count);
        for (uint64_t id : ids)
            bits[id] = true;
        Allowed allowed(bits);
        auto truth = exact(base, queries, ids, k);
        std::vector<double> qps;
        std::vector<std::vector<uint64_t>> found(queries.count);
        for (int pass = 0; pass < 3; pass++) {
            double begun = seconds();
            for (size_t q = 0; q < queries.count; q++) {
                auto result = index.searchKnn(queries.row(q), k, &allowed);
                found[q].clear();
                for (; !result.empty(); result.pop())
                    found[q].push_back(result.top().second);
            }
            qps.push_back(queries.count / (seconds() - begun));
        }
        size_t hits = 0, wanted = 0;
        for (size_t q = 0; q < queries.count; q++)
            for (uint64_t id : truth[q]) {
                wanted++;
                hits += std::find(found[q].begin(), found[q].end(), id) != found[q].end();
            }
        std::sort(qps.begin(), qps.end());
        std::printf("| %s | %zu | hnswlib (filter functor) | %.4f | %.0f |\n", set[0], ids.size(),
                    wanted ? double(hits) / wanted : 1.0, qps[1]);
        std::fflush(stdout);
    }
    return 0;
}
