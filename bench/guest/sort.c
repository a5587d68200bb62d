/* Sorting: quicksort (median of three, insertion sort for short runs) and
 * heapsort of the same pseudo-random array; both must agree. */
#include "bench.h"

#define BENCH_DEFAULT_SCALE 110
#define N 50000

static void insertion_sort(uint32_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint32_t v = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > v; j--) a[j] = a[j - 1];
        a[j] = v;
    }
}

static void swap(uint32_t *a, uint32_t *b)
{
    uint32_t t = *a;
    *a = *b;
    *b = t;
}

static void quicksort(uint32_t *a, size_t n)
{
    while (n > 16) {
        size_t m = n / 2;
        if (a[m] < a[0]) swap(&a[m], &a[0]);
        if (a[n - 1] < a[0]) swap(&a[n - 1], &a[0]);
        if (a[n - 1] < a[m]) swap(&a[n - 1], &a[m]);
        uint32_t pivot = a[m];
        size_t i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i >= j) break;
            swap(&a[i++], &a[j--]);
        }
        /* Recurse into the smaller part, loop on the larger: bounded stack. */
        if (j + 1 < n - j - 1) {
            quicksort(a, j + 1);
            a += j + 1, n -= j + 1;
        } else {
            quicksort(a + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    insertion_sort(a, n);
}

static void sift_down(uint32_t *a, size_t root, size_t n)
{
    uint32_t v = a[root];
    for (;;) {
        size_t c = 2 * root + 1;
        if (c >= n) break;
        if (c + 1 < n && a[c + 1] > a[c]) c++;
        if (a[c] <= v) break;
        a[root] = a[c];
        root = c;
    }
    a[root] = v;
}

static void heapsort(uint32_t *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;) sift_down(a, i, n);
    for (size_t i = n; i-- > 1;) {
        swap(&a[0], &a[i]);
        sift_down(a, 0, i);
    }
}

int main(int argc, char **argv)
{
    uint32_t scale = bench_scale(argc, argv, BENCH_DEFAULT_SCALE);
    static uint32_t a[N], b[N];
    uint32_t s = 88172645u, sum = 0;
    for (uint32_t r = 0; r < scale; r++) {
        /* Every fourth round has many duplicates, as real keys often do. */
        uint32_t mask = r % 4 == 3 ? 0x3ff : 0xffffffffu;
        for (size_t i = 0; i < N; i++) a[i] = b[i] = xorshift32(&s) & mask;
        quicksort(a, N);
        heapsort(b, N);
        for (size_t i = 0; i < N; i++) {
            if (a[i] != b[i] || (i && a[i - 1] > a[i])) {
                fprintf(stderr, "sort: wrong order at %u in round %u\n", (unsigned)i, (unsigned)r);
                return 1;
            }
        }
        for (size_t i = 0; i < N; i += 101) sum = (sum ^ a[i]) * 16777619u;
    }
    bench_checksum_u32("sort", sum);
    return 0;
}
