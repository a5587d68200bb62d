/* Unit tests for models/memory/cfi_flash.c: the CFI query and identifier
 * as U-Boot's CFI driver reads them on QEMU virt's bus (two x16 devices on
 * 32 bits), word and buffered programs, block erase, status, contents kept
 * in a file, save/restore, and bad configurations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "loom/loom.h"
#include "model_rig.h"

extern const loom_model_type loom_model_cfi_flash;

#define BASE 0x04000000u
#define SECTOR 0x40000u

typedef struct board {
    loom_sim *sim;
    loom_inst *flash;
} board;

static board *board_new(const char *size, const char *file, bool persist)
{
    board *b = calloc(1, sizeof *b);
    assert_non_null(b);
    assert_int_equal(loom_sim_new(&b->sim), LOOM_OK);
    assert_int_equal(loom_inst_create(b->sim, &loom_model_cfi_flash, "flash", &b->flash), LOOM_OK);
    char err[200];
    if (size) assert_int_equal(loom_inst_set_prop(b->flash, "size", size, err, sizeof err), LOOM_OK);
    if (file) assert_int_equal(loom_inst_set_prop(b->flash, "file", file, err, sizeof err), LOOM_OK);
    if (persist) assert_int_equal(loom_inst_set_prop(b->flash, "persist", "true", err, sizeof err), LOOM_OK);
    assert_int_equal(loom_inst_init(b->flash), LOOM_OK);
    assert_int_equal(loom_inst_realize(b->flash), LOOM_OK);
    assert_int_equal(loom_bus_map(loom_sim_memory(b->sim), loom_inst_region(b->flash, 0, NULL), BASE, 0, NULL),
                     LOOM_OK);
    loom_sim_reset(b->sim);
    return b;
}

static void board_free(board *b)
{
    loom_sim_free(b->sim);
    free(b);
}

static void wr(board *b, uint32_t off, uint32_t v) { rig_wr32(b->sim, BASE + off, v); }
static uint32_t rd(board *b, uint32_t off) { return rig_rd32(b->sim, BASE + off); }

static uint8_t rd8(board *b, uint32_t off)
{
    uint8_t d;
    assert_int_equal(loom_bus_read(loom_sim_memory(b->sim), BASE + off, &d, 1), LOOM_OK);
    return d;
}

/* A command to both x16 devices. */
static void cmd(board *b, uint32_t off, uint8_t c) { wr(b, off, (uint32_t)c * 0x00010001u); }

static void test_cfi_flash_query_and_identifier(void **state)
{
    board *b = board_new(NULL, NULL, false);
    /* Erased, in read-array mode. */
    assert_int_equal(rd(b, 0), 0xFFFFFFFF);
    /* CFI query at word 0x55: "QRY" at words 0x10-0x12 of each device. */
    cmd(b, 0x55 * 4, 0x98);
    assert_int_equal(rd(b, 0x10 * 4), 0x00510051);
    assert_int_equal(rd(b, 0x11 * 4), 0x00520052);
    assert_int_equal(rd(b, 0x12 * 4), 0x00590059);
    /* Read byte-wise, as U-Boot's flash_read_uchar does. */
    assert_int_equal(rd8(b, 0x13 * 4), 0x01);          /* Intel/Sharp command set */
    assert_int_equal(rd8(b, 0x27 * 4), 25);            /* 32 MiB per device */
    assert_int_equal(rd8(b, 0x2C * 4), 1);             /* one erase region */
    assert_int_equal(rd8(b, 0x2D * 4), 0xFF);          /* 256 blocks */
    assert_int_equal(rd8(b, 0x2E * 4), 0x00);
    assert_int_equal(rd8(b, 0x2F * 4), 0x00);          /* 128 KiB per device */
    assert_int_equal(rd8(b, 0x30 * 4), 0x02);
    assert_int_equal(rd8(b, 0x31 * 4), 'P');
    /* Identifier: Intel. */
    cmd(b, 0, 0xFF);
    cmd(b, 0, 0x90);
    assert_int_equal(rd(b, 0), 0x00890089);
    assert_int_equal(rd(b, 4), 0x00180018);
    cmd(b, 0, 0xF0); /* AMD's reset also returns to the array */
    assert_int_equal(rd(b, 0), 0xFFFFFFFF);
    board_free(b);
}

static void test_cfi_flash_program_erase_and_status(void **state)
{
    board *b = board_new(NULL, NULL, false);
    /* Word program, status ready, back to the array. */
    cmd(b, SECTOR, 0x40);
    wr(b, SECTOR + 8, 0x12345678);
    assert_int_equal(rd(b, SECTOR), 0x00800080);
    cmd(b, SECTOR, 0xFF);
    assert_int_equal(rd(b, SECTOR + 8), 0x12345678);
    /* Programming clears bits only. */
    cmd(b, SECTOR, 0x10);
    wr(b, SECTOR + 8, 0xFFFF0000);
    cmd(b, SECTOR, 0xFF);
    assert_int_equal(rd(b, SECTOR + 8), 0x12340000);
    /* Buffered program of four words. */
    cmd(b, SECTOR, 0xE8);
    assert_int_equal(rd(b, SECTOR) & 0x00800080, 0x00800080); /* buffer available */
    wr(b, SECTOR, 0x00030003);
    for (uint32_t k = 0; k < 4; k++) wr(b, SECTOR + 0x100 + 4 * k, 0xA0000000 | k);
    cmd(b, SECTOR, 0xD0);
    assert_int_equal(rd(b, SECTOR), 0x00800080);
    cmd(b, SECTOR, 0xFF);
    for (uint32_t k = 0; k < 4; k++) assert_int_equal(rd(b, SECTOR + 0x100 + 4 * k), 0xA0000000 | k);
    assert_int_equal(rd(b, SECTOR + 0x110), 0xFFFFFFFF);
    /* Unlock (accepted), erase the block; its neighbours keep theirs. */
    cmd(b, 0, 0x40);
    wr(b, 0, 0);
    cmd(b, SECTOR, 0x60);
    cmd(b, SECTOR, 0xD0);
    cmd(b, SECTOR + 0x1000, 0x20);
    cmd(b, SECTOR + 0x1000, 0xD0);
    assert_int_equal(rd(b, SECTOR), 0x00800080);
    cmd(b, 0, 0x50);
    cmd(b, 0, 0xFF);
    assert_int_equal(rd(b, SECTOR + 8), 0xFFFFFFFF);
    assert_int_equal(rd(b, SECTOR + 0x100), 0xFFFFFFFF);
    assert_int_equal(rd(b, 0), 0);
    board_free(b);
}

static void test_cfi_flash_keeps_its_contents_in_the_file(void **state)
{
    char path[] = "cfi-flash-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path); /* persist creates it, erased */
    board *b = board_new("1MiB", path, true);
    cmd(b, 0, 0x40);
    wr(b, 0x20, 0xCAFEF00D);
    cmd(b, 0, 0xFF);
    board_free(b);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t buf[0x24];
    assert_int_equal(fread(buf, 1, sizeof buf, f), sizeof buf);
    fseek(f, 0, SEEK_END);
    assert_int_equal(ftell(f), 1 << 20);
    fclose(f);
    assert_int_equal(loom_get_le(buf + 0x20, 4), 0xCAFEF00D);
    assert_int_equal(buf[0], 0xFF);
    /* Opened again, the flash has it. */
    b = board_new("1MiB", path, true);
    assert_int_equal(rd(b, 0x20), 0xCAFEF00D);
    board_free(b);
    /* A file of another size is refused, naming both sizes. */
    loom_sim *sim;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    loom_inst *g;
    char err[200];
    assert_int_equal(loom_inst_create(sim, &loom_model_cfi_flash, "flash", &g), LOOM_OK);
    assert_int_equal(loom_inst_set_prop(g, "size", "2MiB", err, sizeof err), LOOM_OK);
    assert_int_equal(loom_inst_set_prop(g, "file", path, err, sizeof err), LOOM_OK);
    assert_int_equal(loom_inst_set_prop(g, "persist", "true", err, sizeof err), LOOM_OK);
    assert_int_equal(loom_inst_init(g), LOOM_E_CONFIG);
    assert_non_null(strstr(loom_sim_last_error(sim), "1048576 bytes"));
    loom_sim_free(sim);
    unlink(path);
}

static void test_cfi_flash_save_restore(void **state)
{
    board *a = board_new("1MiB", NULL, false);
    cmd(a, 0, 0x40);
    wr(a, 0x8000, 0x11223344);
    cmd(a, 0, 0x98); /* left in query mode */
    loom_buf buf;
    loom_buf_init(&buf);
    assert_int_equal(loom_sim_save(a->sim, &buf), LOOM_OK);
    board *b = board_new("1MiB", NULL, false);
    buf.pos = 0;
    assert_int_equal(loom_sim_restore(b->sim, &buf), LOOM_OK);
    loom_buf_free(&buf);
    assert_int_equal(rd(b, 0x10 * 4), 0x00510051);
    cmd(b, 0, 0xFF);
    assert_int_equal(rd(b, 0x8000), 0x11223344);
    assert_int_equal(rd(b, 0x8004), 0xFFFFFFFF);
    board_free(a);
    board_free(b);
}

static void test_cfi_flash_bad_configuration(void **state)
{
    const char *bad[][2] = {{"width", "3"}, {"device-width", "3"}, {"sector", "100KiB"}, {"size", "300KiB"},
                            {"persist", "true"}};
    loom_sim *sim;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        loom_inst *g;
        char name[16], err[200];
        snprintf(name, sizeof name, "flash%zu", k);
        assert_int_equal(loom_inst_create(sim, &loom_model_cfi_flash, name, &g), LOOM_OK);
        assert_int_equal(loom_inst_set_prop(g, bad[k][0], bad[k][1], err, sizeof err), LOOM_OK);
        assert_int_equal(loom_inst_init(g), LOOM_E_CONFIG);
    }
    loom_sim_free(sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cfi_flash_query_and_identifier),
        cmocka_unit_test(test_cfi_flash_program_erase_and_status),
        cmocka_unit_test(test_cfi_flash_keeps_its_contents_in_the_file),
        cmocka_unit_test(test_cfi_flash_save_restore),
        cmocka_unit_test(test_cfi_flash_bad_configuration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
