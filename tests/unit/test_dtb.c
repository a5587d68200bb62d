/* Unit tests for platforms/dtb.c: the device tree of yaml-platforms/
 * arm-virt.yaml read back with libfdt (nodes, reg, interrupts in the GIC
 * binding, phandles, clocks, the console), and boards without a
 * controller or with a line not wired. tests/cli/test_dtb_virt.sh holds
 * the same tree against the one QEMU's virt machine writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libfdt.h>

#include "loom/loom.h"

static void *dtb_of(loom_sim **sim, const char *path, const char *yaml)
{
    assert_int_equal(loom_sim_new(sim), LOOM_OK);
    loom_platform *plat;
    loom_err e = yaml ? loom_platform_load_string(*sim, "board.yaml", yaml, NULL, &plat)
                      : loom_platform_load(*sim, path, NULL, &plat);
    if (e) print_error("%s\n", loom_sim_last_error(*sim));
    assert_int_equal(e, LOOM_OK);
    void *blob;
    size_t size;
    assert_int_equal(loom_platform_dtb(plat, &blob, &size), LOOM_OK);
    assert_int_equal(fdt_check_header(blob), 0);
    assert_int_equal(fdt_totalsize(blob), size);
    return blob;
}

static int node(const void *fdt, const char *path)
{
    int off = fdt_path_offset(fdt, path);
    if (off < 0) print_error("no node %s\n", path);
    assert_true(off >= 0);
    return off;
}

/* The property's cells, which must be exactly these. */
static void expect_cells(const void *fdt, const char *path, const char *prop, const uint32_t *want, int n)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node(fdt, path), prop, &len);
    assert_non_null(p);
    assert_int_equal(len, n * 4);
    for (int k = 0; k < n; k++) assert_int_equal(fdt32_to_cpu(p[k]), want[k]);
}

static uint32_t cell(const void *fdt, const char *path, const char *prop, int k)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node(fdt, path), prop, &len);
    assert_non_null(p);
    assert_true(len >= (k + 1) * 4);
    return fdt32_to_cpu(p[k]);
}

static void test_dtb_of_the_virt_board(void **state)
{
    loom_sim *sim;
    void *fdt = dtb_of(&sim, LOOM_SOURCE_DIR "/yaml-platforms/arm-virt.yaml", NULL);
    expect_cells(fdt, "/", "#address-cells", (const uint32_t[]){2}, 1);
    expect_cells(fdt, "/", "#size-cells", (const uint32_t[]){2}, 1);
    /* The UART: PrimeCell compatible, reg, SPI 1 level-high, two clocks. */
    assert_int_equal(fdt_node_check_compatible(fdt, node(fdt, "/pl011@9000000"), "arm,pl011"), 0);
    assert_int_equal(fdt_node_check_compatible(fdt, node(fdt, "/pl011@9000000"), "arm,primecell"), 0);
    expect_cells(fdt, "/pl011@9000000", "reg", (const uint32_t[]){0, 0x09000000, 0, 0x1000}, 4);
    expect_cells(fdt, "/pl011@9000000", "interrupts", (const uint32_t[]){0, 1, 4}, 3);
    expect_cells(fdt, "/pl031@9010000", "interrupts", (const uint32_t[]){0, 2, 4}, 3);
    expect_cells(fdt, "/pl061@9030000", "interrupts", (const uint32_t[]){0, 7, 4}, 3);
    assert_non_null(fdt_getprop(fdt, node(fdt, "/pl061@9030000"), "gpio-controller", NULL));
    /* The GIC: both regions, the controller's properties, and everyone's
     * interrupt parent. */
    int gic = node(fdt, "/intc@8000000");
    assert_int_equal(fdt_node_check_compatible(fdt, gic, "arm,cortex-a15-gic"), 0);
    expect_cells(fdt, "/intc@8000000", "reg", (const uint32_t[]){0, 0x08000000, 0, 0x1000, 0, 0x08010000, 0, 0x2000}, 8);
    expect_cells(fdt, "/intc@8000000", "#interrupt-cells", (const uint32_t[]){3}, 1);
    assert_non_null(fdt_getprop(fdt, gic, "interrupt-controller", NULL));
    assert_int_equal(cell(fdt, "/", "interrupt-parent", 0), fdt_get_phandle(fdt, gic));
    /* The clocks name the fixed clock. */
    uint32_t clk = cell(fdt, "/pl011@9000000", "clocks", 0);
    int clock = fdt_node_offset_by_phandle(fdt, clk);
    assert_true(clock >= 0);
    assert_int_equal(fdt_node_check_compatible(fdt, clock, "fixed-clock"), 0);
    assert_int_equal(cell(fdt, "/pl011@9000000", "clocks", 1), clk);
    assert_int_equal(cell(fdt, "/pl031@9010000", "clocks", 0), clk);
    /* Memory, both flash banks, the console. */
    expect_cells(fdt, "/memory@40000000", "reg", (const uint32_t[]){0, 0x40000000, 0, 0x08000000}, 4);
    assert_string_equal(fdt_getprop(fdt, node(fdt, "/memory@40000000"), "device_type", NULL), "memory");
    expect_cells(fdt, "/flash@0", "bank-width", (const uint32_t[]){4}, 1);
    expect_cells(fdt, "/flash@4000000", "reg", (const uint32_t[]){0, 0x04000000, 0, 0x04000000}, 4);
    assert_string_equal(fdt_getprop(fdt, node(fdt, "/chosen"), "stdout-path", NULL), "/pl011@9000000");
    /* Devices without a binding get no node. */
    assert_true(fdt_path_offset(fdt, "/test-ctl@90c0000") < 0);
    free(fdt);
    loom_sim_free(sim);
}

static void test_dtb_without_a_controller_or_a_wire(void **state)
{
    loom_sim *sim;
    void *fdt = dtb_of(&sim, NULL,
                       "devices:\n"
                       "  uart0:\n"
                       "    type: pl011\n"
                       "    at: 0x1000\n"
                       "  uart1:\n"
                       "    type: pl011\n"
                       "    at: 0x2000\n"
                       "  ram:\n"
                       "    type: ram\n"
                       "    at: 0x100000000\n"
                       "    size: 8GiB\n");
    int u = node(fdt, "/pl011@1000");
    assert_null(fdt_getprop(fdt, u, "interrupts", NULL));
    assert_null(fdt_getprop(fdt, 0, "interrupt-parent", NULL));
    /* 64-bit addresses and sizes take both cells. */
    expect_cells(fdt, "/memory@100000000", "reg", (const uint32_t[]){1, 0, 2, 0}, 4);
    /* The console is the board's first UART. */
    assert_string_equal(fdt_getprop(fdt, node(fdt, "/chosen"), "stdout-path", NULL), "/pl011@1000");
    /* Nodes come in the board's order. */
    assert_true(node(fdt, "/pl011@1000") < node(fdt, "/pl011@2000"));
    free(fdt);
    loom_sim_free(sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dtb_of_the_virt_board),
        cmocka_unit_test(test_dtb_without_a_controller_or_a_wire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
