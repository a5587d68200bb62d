/* Dense single-precision matrix multiply (i-k-j order, 128 x 128), as in
 * filters, graphics transforms and small neural networks on a device. */
#include "bench.h"

#define BENCH_DEFAULT_SCALE 180
#define N 128

static float a[N][N], b[N][N], c[N][N];

int main(int argc, char **argv)
{
    uint32_t scale = bench_scale(argc, argv, BENCH_DEFAULT_SCALE);
    uint64_t s = 9;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            a[i][j] = (float)(xorshift_unit(&s) - 0.5);
            b[i][j] = (float)(xorshift_unit(&s) - 0.5);
        }
    double sum = 0;
    for (uint32_t r = 0; r < scale; r++) {
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) c[i][j] = 0;
            for (int k = 0; k < N; k++) {
                float aik = a[i][k];
                for (int j = 0; j < N; j++) c[i][j] += aik * b[k][j];
            }
        }
        double t = 0;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) t += c[i][j];
        sum += t;
        /* Feed the product back, scaled, so no round repeats another. */
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) a[i][j] = c[i][j] * 0.125f + a[i][j] * 0.5f;
    }
    bench_checksum_f64("matmul", sum);
    return 0;
}
