/* Unit tests for platforms/platform.c and platforms/describe.c: a malformed
 * board is refused with the file, line and column of the problem and words
 * saying what was found and what was expected; a good board builds, wires,
 * runs and describes itself. Boards are given inline with
 * loom_platform_load_string as "board.yaml", or written to a temporary
 * folder when includes and relative files are under test. */
#include <ftw.h>
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

#define MiB (1024u * 1024u)

/* ---- Helpers ------------------------------------------------------------- */

static char tmpdir[] = "/tmp/loom-platform-XXXXXX";

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int make_tmpdir(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    return nftw(tmpdir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Write text to tmpdir/name; the full path goes into path. */
static void write_file(const char *name, const char *text, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static unsigned count_lines(const char *s)
{
    unsigned n = *s != 0;
    for (; *s; s++)
        if (*s == '\n' && s[1]) n++;
    return n;
}

/* Fail, showing the whole message, unless it holds every needle. */
static void expect_words(const char *msg, const char *const *needles)
{
    for (size_t i = 0; needles[i]; i++) {
        if (!strstr(msg, needles[i])) {
            print_error("message:\n%s\nlacks: %s\n", msg, needles[i]);
            fail();
        }
    }
}

/* Load yaml under name with the given overrides; the load must fail with
 * code, leave no platform and put every needle into the last error. */
static void refused_with(const char *name, const char *yaml, const char *const *ovr, loom_err code,
                         const char *const *needles)
{
    loom_override o[8];
    size_t no = 0;
    for (; ovr && ovr[no]; no++) o[no].text = ovr[no];
    loom_platform_opts opts = {o, no, NULL};
    loom_sim *sim;
    loom_platform *plat = (loom_platform *)&opts; /* any non-NULL: a failure must clear it */
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    loom_err e = loom_platform_load_string(sim, name, yaml, &opts, &plat);
    /* Free the simulation before any check fails, so a failure shows no leaks. */
    static char msg[16384];
    snprintf(msg, sizeof msg, "%s", loom_sim_last_error(sim));
    loom_sim_free(sim);
    if (e != code) {
        print_error("load returned %s, expected %s; message:\n%s\n", loom_strerror(e), loom_strerror(code), msg);
        fail();
    }
    assert_null(plat);
    expect_words(msg, needles);
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})
/* REFUSES(yaml, code, "board.yaml:L:C: error: ...", more words...) */
#define REFUSES(yaml, code, ...) refused_with("board.yaml", (yaml), NULL, (code), WORDS(__VA_ARGS__))
#define REFUSES_WITH(yaml, overrides, ...) \
    refused_with("board.yaml", (yaml), (overrides), LOOM_E_CONFIG, WORDS(__VA_ARGS__))

/* Load yaml under name, which must succeed. */
static loom_platform *load_ok(loom_sim *sim, const char *name, const char *yaml, const char *const *ovr)
{
    loom_override o[8];
    size_t no = 0;
    for (; ovr && ovr[no]; no++) o[no].text = ovr[no];
    loom_platform_opts opts = {o, no, NULL};
    loom_platform *plat = NULL;
    loom_err e = loom_platform_load_string(sim, name, yaml, &opts, &plat);
    if (e) {
        print_error("load failed (%s):\n%s\n", loom_strerror(e), loom_sim_last_error(sim));
        fail();
    }
    assert_non_null(plat);
    return plat;
}

/* loom_platform_describe into a malloc'd string. */
static char *describe(const loom_platform *plat)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    loom_platform_describe(plat, f);
    fclose(f);
    return text;
}

/* ---- Syntax and structure ---------------------------------------------------- */

static void test_board_yaml_syntax_error_gives_position_and_problem(void **state)
{
    REFUSES("devices:\n"
            "  ram: [1, 2\n",
            LOOM_E_CONFIG, "board.yaml:3:1: error: YAML syntax:", "did not find expected ',' or ']'");
}

static void test_board_empty_file_is_refused(void **state)
{
    REFUSES("", LOOM_E_CONFIG, "board.yaml:1:1: error: the board file is empty",
            "expected a mapping with 'devices'");
}

static void test_board_root_list_is_refused(void **state)
{
    REFUSES("- ram\n"
            "- uart\n",
            LOOM_E_CONFIG, "board.yaml:1:1: error: a board is a mapping", "found a list");
}

static void test_board_unknown_top_level_key_suggests_the_nearest(void **state)
{
    REFUSES("board: x\n"
            "devises:\n"
            "  ram:\n"
            "    type: ram\n",
            LOOM_E_CONFIG, "board.yaml:2:1: error: unknown key 'devises' in the board",
            "did you mean 'devices'?",
            "expected one of: board, description, include, quantum, firmware, semihosting, devices");
}

static void test_board_duplicate_top_level_key_is_refused(void **state)
{
    REFUSES("quantum: 10us\n"
            "quantum: 20us\n"
            "devices:\n"
            "  t:\n"
            "    type: test-ctl\n"
            "    at: 0\n",
            LOOM_E_CONFIG, "board.yaml:2:1: error: key 'quantum' appears twice in the board");
}

static void test_board_devices_given_a_list_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  - ram\n"
            "  - uart0\n",
            LOOM_E_CONFIG, "board.yaml:2:3: error: 'devices' must be a mapping of device names to their settings",
            "found a list");
}

static void test_board_device_given_a_value_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  ram: 64KiB\n",
            LOOM_E_CONFIG, "board.yaml:2:8: error: device 'ram' must be a mapping with at least 'type'",
            "found a single value");
}

static void test_board_without_devices_is_refused(void **state)
{
    REFUSES("board: bare\n", LOOM_E_CONFIG, "board.yaml:1:1: error: the board has no devices",
            "expected a 'devices' mapping");
}

static void test_board_second_yaml_document_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  t:\n"
            "    type: test-ctl\n"
            "    at: 0\n"
            "---\n"
            "devices: {}\n",
            LOOM_E_CONFIG, "board.yaml:5:1: error: a second YAML document", "holds exactly one");
}

static void test_board_bad_quantum_is_refused(void **state)
{
    REFUSES("quantum: 10 parsecs\n"
            "devices:\n"
            "  t:\n"
            "    type: test-ctl\n"
            "    at: 0\n",
            LOOM_E_CONFIG, "board.yaml:1:10: error: quantum: '10 parsecs' is not a time",
            "expected a number with ps, ns, us, ms or s");
}

static void test_board_zero_quantum_is_refused(void **state)
{
    REFUSES("quantum: 0us\n"
            "devices:\n"
            "  t:\n"
            "    type: test-ctl\n"
            "    at: 0\n",
            LOOM_E_CONFIG, "board.yaml:1:10: error: quantum must be greater than 0");
}

static void test_board_firmware_given_a_value_is_refused(void **state)
{
    REFUSES("firmware: 0x1000\n"
            "devices:\n"
            "  t:\n"
            "    type: test-ctl\n"
            "    at: 0\n",
            LOOM_E_CONFIG, "board.yaml:1:11: error: 'firmware' expects a mapping (address: ...)",
            "found a single value");
}

static void test_board_firmware_keys_are_checked(void **state)
{
    REFUSES("firmware:\n"
            "  dtb: lots\n"
            "  adress: 0\n"
            "devices:\n"
            "  t:\n"
            "    type: test-ctl\n"
            "    at: 0\n",
            LOOM_E_CONFIG, "board.yaml:2:8: error: firmware dtb:", "board.yaml:3:3: error:", "'adress'",
            "did you mean 'address'?", "expected one of: address, dtb");
}

static void test_board_semihosting_switch(void **state)
{
    loom_sim *sim;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    assert_false(loom_sim_semihosting(sim));
    load_ok(sim, "board.yaml", "semihosting: yes\ndevices:\n  t:\n    type: test-ctl\n    at: 0\n", NULL);
    assert_true(loom_sim_semihosting(sim));
    loom_sim_free(sim);
    REFUSES("semihosting: maybe\n"
            "devices:\n"
            "  t:\n"
            "    type: test-ctl\n"
            "    at: 0\n",
            LOOM_E_CONFIG, "board.yaml:1:14: error: semihosting:");
}

/* ---- Device names and types ---------------------------------------------------- */

static void test_board_device_name_with_space_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  \"uart 0\":\n"
            "    type: pl011\n"
            "    at: 0\n",
            LOOM_E_CONFIG, "board.yaml:2:3: error: 'uart 0' is not a valid device name",
            "use letters, digits, '_' and '-'");
}

static void test_board_memory_is_not_a_device_name(void **state)
{
    REFUSES("devices:\n"
            "  memory:\n"
            "    type: ram\n"
            "    at: 0\n"
            "    size: 4KiB\n",
            LOOM_E_CONFIG, "board.yaml:2:3: error: 'memory' is not a valid device name",
            "'memory' and 'io' name the address spaces");
}

static void test_board_device_without_type_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  ram:\n"
            "    at: 0x40000000\n"
            "    size: 64KiB\n",
            LOOM_E_CONFIG, "board.yaml:2:3: error: device 'ram' has no 'type'", "loom models");
}

static void test_board_unknown_type_lists_known_types(void **state)
{
    REFUSES("devices:\n"
            "  ram:\n"
            "    type: rma\n"
            "    at: 0x40000000\n"
            "    size: 64KiB\n",
            LOOM_E_CONFIG, "board.yaml:3:11: error: unknown device type 'rma'; did you mean 'ram'?",
            "known types: ", "container", "pl011", "ram", "rom", "script-master", "sp804", "test-ctl");
}

static void test_board_unknown_type_far_from_all_suggests_nothing(void **state)
{
    REFUSES("devices:\n"
            "  lights:\n"
            "    type: blinkenlights\n",
            LOOM_E_CONFIG, "board.yaml:3:11: error: unknown device type 'blinkenlights' (known types: ");
}

static void test_board_type_given_a_list_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  ram:\n"
            "    type: [ram]\n",
            LOOM_E_CONFIG, "board.yaml:3:11: error: 'type' expects a model type name, found a list",
            "known types: ");
}

static void test_board_duplicate_device_names_first_definition(void **state)
{
    REFUSES("devices:\n"
            "  ram:\n"
            "    type: ram\n"
            "    at: 0x40000000\n"
            "    size: 64KiB\n"
            "  ram:\n"
            "    type: ram\n"
            "    at: 0x50000000\n"
            "    size: 64KiB\n",
            LOOM_E_CONFIG, "board.yaml:6:3: error: device 'ram' is defined twice (first at board.yaml:2:3)");
}

static void test_board_duplicate_key_in_device_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  ram:\n"
            "    type: ram\n"
            "    at: 0x40000000\n"
            "    size: 64KiB\n"
            "    size: 128KiB\n",
            LOOM_E_CONFIG, "board.yaml:6:5: error: key 'size' appears twice in device 'ram'");
}

/* ---- Properties ------------------------------------------------------------------- */

static void test_board_unknown_property_suggests_the_nearest(void **state)
{
    REFUSES("devices:\n"
            "  ram:\n"
            "    type: ram\n"
            "    at: 0x40000000\n"
            "    size: 64KiB\n"
            "    latncy: 10ns\n",
            LOOM_E_CONFIG, "board.yaml:6:5: error: unknown key 'latncy' in device 'ram' (type ram)",
            "did you mean 'latency'?", "expected one of: type, at, on, priority, size, latency");
}

static void test_board_unknown_property_lists_properties_and_outputs(void **state)
{
    REFUSES("devices:\n"
            "  uart0:\n"
            "    type: pl011\n"
            "    at: 0x09000000\n"
            "    baud: 115200\n",
            LOOM_E_CONFIG, "board.yaml:5:5: error: unknown key 'baud' in device 'uart0' (type pl011)",
            "expected one of: type, at, on, priority, chardev, irq");
}

static void test_board_size_refuses_words(void **state)
{
    REFUSES("devices:\n"
            "  ram:\n"
            "    type: ram\n"
            "    at: 0x40000000\n"
            "    size: lots\n",
            LOOM_E_CONFIG, "board.yaml:5:11: error: property 'size' of 'ram': 'lots' is not a size",
            "such as 4096, 64KiB");
}

static void test_board_frequency_refuses_words(void **state)
{
    REFUSES("devices:\n"
            "  timer:\n"
            "    type: sp804\n"
            "    at: 0x09110000\n"
            "    clock: fast\n",
            LOOM_E_CONFIG, "board.yaml:5:12: error: property 'clock' of 'timer': 'fast' is not a frequency",
            "Hz, kHz, MHz or GHz");
}

static void test_board_boolean_refuses_maybe(void **state)
{
    REFUSES("devices:\n"
            "  master:\n"
            "    type: script-master\n"
            "    exit-at-end: maybe\n",
            LOOM_E_CONFIG, "board.yaml:4:18: error: property 'exit-at-end' of 'master': 'maybe' is not a boolean",
            "expected true or false");
}

static void test_board_enum_refuses_a_bad_choice_and_lists_choices(void **state)
{
    REFUSES("devices:\n"
            "  master:\n"
            "    type: script-master\n"
            "    space: disk\n",
            LOOM_E_CONFIG, "board.yaml:4:12: error: property 'space' of 'master': 'disk' is not one of the choices",
            "expected one of: memory|io");
}

static void test_board_integer_refuses_a_fraction(void **state)
{
    REFUSES("devices:\n"
            "  uart:\n"
            "    type: ns16550a\n"
            "    at: 0x10000000\n"
            "    reg-shift: 1.5\n",
            LOOM_E_CONFIG, "board.yaml:5:16: error: property 'reg-shift' of 'uart': '1.5' is not an integer");
}

static void test_board_property_given_a_mapping_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  ram:\n"
            "    type: ram\n"
            "    at: 0x40000000\n"
            "    size: {value: 64KiB}\n",
            LOOM_E_CONFIG, "board.yaml:5:11: error: property 'size' of 'ram' (size) expects a single value",
            "found a mapping");
}

static void test_board_property_given_a_list_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  uart0:\n"
            "    type: pl011\n"
            "    at: 0x09000000\n"
            "    chardev:\n"
            "      - stdio\n"
            "      - null\n",
            LOOM_E_CONFIG, "board.yaml:6:7: error: property 'chardev' of 'uart0' (string) expects a single value",
            "found a list");
}

static void test_board_ram_without_size_names_the_missing_property(void **state)
{
    REFUSES("devices:\n"
            "  ram:\n"
            "    type: ram\n"
            "    at: 0x40000000\n",
            LOOM_E_CONFIG, "board.yaml:2:3: error: ram (ram): required property 'size'", "is missing");
}

static void test_board_model_init_failure_is_placed_at_the_device(void **state)
{
    REFUSES("devices:\n"
            "  ram:\n"
            "    type: ram\n"
            "    at: 0x40000000\n"
            "    size: 0\n",
            LOOM_E_CONFIG, "board.yaml:2:3: error: ram (ram): size must not be 0");
}

/* ---- Mapping ------------------------------------------------------------------------ */

static void test_board_overlapping_regions_name_both_and_their_ranges(void **state)
{
    REFUSES("devices:\n"
            "  low:\n"
            "    type: ram\n"
            "    at: 0x1000\n"
            "    size: 8KiB\n"
            "  high:\n"
            "    type: ram\n"
            "    at: 0x2000\n"
            "    size: 4KiB\n",
            LOOM_E_CONFIG, "board.yaml:8:9: error: cannot map 'high'", "region 'high' [0x00002000-0x00002fff]",
            "overlaps region 'low' [0x00001000-0x00002fff]", "in address space 'memory'", "higher priority");
}

static void test_board_overlap_with_higher_priority_is_allowed(void **state)
{
    loom_sim *sim;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    loom_platform *plat = load_ok(sim, "board.yaml",
                                  "devices:\n"
                                  "  low:\n"
                                  "    type: ram\n"
                                  "    at: 0x1000\n"
                                  "    size: 8KiB\n"
                                  "  high:\n"
                                  "    type: ram\n"
                                  "    at: 0x2000\n"
                                  "    size: 4KiB\n"
                                  "    priority: 1\n",
                                  NULL);
    /* The resolved map: 'high' hides the upper half of 'low'. */
    char *text = describe(plat);
    expect_words(text, WORDS("  0x1000-0x1fff  4 KiB     low", "  0x2000-0x2fff  4 KiB     high",
                             "priority 1"));
    free(text);
    uint8_t v = 0x5a, got = 0;
    assert_int_equal(loom_bus_write(loom_sim_memory(sim), 0x2fff, &v, 1), LOOM_OK);
    assert_int_equal(loom_bus_read(loom_sim_memory(sim), 0x2fff, &got, 1), LOOM_OK);
    assert_int_equal(got, 0x5a);
    loom_sim_free(sim);
}

static void test_board_region_beyond_io_space_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  buf:\n"
            "    type: ram\n"
            "    on: io\n"
            "    at: 0xf000\n"
            "    size: 8KiB\n",
            LOOM_E_CONFIG, "board.yaml:5:9: error: cannot map 'buf'", "at 0xf000 (0x2000 bytes)",
            "does not fit in address space 'io' (0x10000 bytes)");
}

static void test_board_device_with_region_needs_at(void **state)
{
    REFUSES("devices:\n"
            "  uart0:\n"
            "    type: pl011\n",
            LOOM_E_CONFIG, "board.yaml:2:3: error: device 'uart0' (pl011) has a region to map but no 'at' address");
}

static void test_board_at_for_device_without_regions_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  master:\n"
            "    type: script-master\n"
            "    at: 0x1000\n",
            LOOM_E_CONFIG, "board.yaml:4:5: error: device 'master' (script-master) has nothing to map; remove 'at'");
}

static void test_board_malformed_address_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  ram:\n"
            "    type: ram\n"
            "    at: 0x4000zz00\n"
            "    size: 64KiB\n",
            LOOM_E_CONFIG, "board.yaml:4:9: error: address of 'ram' must be a number such as 0x09000000",
            "found 0x4000zz00");
}

static void test_board_at_given_a_list_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  ram:\n"
            "    type: ram\n"
            "    at: [0x40000000]\n"
            "    size: 64KiB\n",
            LOOM_E_CONFIG, "board.yaml:4:9: error: 'at' expects an address or a mapping of region to address",
            "found a list");
}

static void test_board_at_mapping_with_unknown_region_lists_regions(void **state)
{
    REFUSES("devices:\n"
            "  ram:\n"
            "    type: ram\n"
            "    at:\n"
            "      mem: 0x40000000\n"
            "    size: 64KiB\n",
            LOOM_E_CONFIG, "board.yaml:5:7: error: device 'ram' (ram) has no region 'mem' (regions: regs)");
}

static void test_board_on_naming_a_non_container_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  ram:\n"
            "    type: ram\n"
            "    at: 0x40000000\n"
            "    size: 64KiB\n"
            "  uart0:\n"
            "    type: pl011\n"
            "    on: ram\n"
            "    at: 0x1000\n",
            LOOM_E_CONFIG, "board.yaml:8:9: error: 'on: ram': 'ram' is a ram, not a container");
}

static void test_board_on_naming_nothing_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  uart0:\n"
            "    type: pl011\n"
            "    on: apb\n"
            "    at: 0x1000\n",
            LOOM_E_CONFIG, "board.yaml:4:9: error: 'on: apb': no such address space",
            "expected memory, io or a container device");
}

static void test_board_priority_out_of_range_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  ram:\n"
            "    type: ram\n"
            "    at: 0x40000000\n"
            "    size: 64KiB\n"
            "    priority: 5000\n",
            LOOM_E_CONFIG, "board.yaml:6:15: error: priority must be an integer from -1000 to 1000");
}

static void test_board_alias_onto_a_non_container_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  ram:\n"
            "    type: ram\n"
            "    at: 0x40000000\n"
            "    size: 64KiB\n"
            "  boot:\n"
            "    type: alias\n"
            "    target: ram\n"
            "    size: 4KiB\n"
            "    at: 0\n",
            LOOM_E_CONFIG, "board.yaml:6:3: error: boot (alias): target 'ram' is a ram, not a container");
}

/* ---- Interrupt wiring ------------------------------------------------------------------ */

static void test_board_interrupt_to_missing_device_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  uart0:\n"
            "    type: pl011\n"
            "    at: 0x09000000\n"
            "    irq: gic.spi[1]\n",
            LOOM_E_CONFIG, "board.yaml:5:10: error: interrupt reference 'gic.spi[1]': no device named 'gic'");
}

static void test_board_interrupt_to_missing_input_lists_inputs(void **state)
{
    REFUSES("devices:\n"
            "  master:\n"
            "    type: script-master\n"
            "  uart0:\n"
            "    type: pl011\n"
            "    at: 0x09000000\n"
            "    irq: master.int[1]\n",
            LOOM_E_CONFIG,
            "board.yaml:7:10: error: interrupt reference 'master.int[1]': 'master' (script-master) has no input 'int'",
            "(inputs: irq[0..15])");
}

static void test_board_interrupt_input_index_out_of_range_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  master:\n"
            "    type: script-master\n"
            "  uart0:\n"
            "    type: pl011\n"
            "    at: 0x09000000\n"
            "    irq: master.irq[16]\n",
            LOOM_E_CONFIG, "board.yaml:7:10: error: interrupt reference 'master.irq[16]'",
            "input 'irq' has 16 lines; index 16 is out of range");
}

static void test_board_input_driven_twice_names_the_first_driver(void **state)
{
    REFUSES("devices:\n"
            "  master:\n"
            "    type: script-master\n"
            "  uart0:\n"
            "    type: pl011\n"
            "    at: 0x09000000\n"
            "    irq: master.irq[2]\n"
            "  uart1:\n"
            "    type: pl011\n"
            "    at: 0x09001000\n"
            "    irq: master.irq[2]\n",
            LOOM_E_CONFIG, "board.yaml:11:10: error: interrupt reference 'master.irq[2]'",
            "input irq[2] is already driven by uart0.irq");
}

static void test_board_output_index_out_of_range_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  master:\n"
            "    type: script-master\n"
            "  timer:\n"
            "    type: sp804\n"
            "    at: 0x09110000\n"
            "    irq-timer[2]: master.irq[0]\n",
            LOOM_E_CONFIG, "board.yaml:7:5: error: output 'irq-timer' of 'timer' has 2 lines; index 2 is out of range");
}

static void test_board_output_list_longer_than_output_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  master:\n"
            "    type: script-master\n"
            "  timer:\n"
            "    type: sp804\n"
            "    at: 0x09110000\n"
            "    irq-timer:\n"
            "      - master.irq[0]\n"
            "      - master.irq[1]\n"
            "      - master.irq[2]\n",
            LOOM_E_CONFIG, "board.yaml:10:9: error: output 'irq-timer' of 'timer' has 2 lines; this list gives more");
}

static void test_board_malformed_interrupt_reference_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  master:\n"
            "    type: script-master\n"
            "  uart0:\n"
            "    type: pl011\n"
            "    at: 0x09000000\n"
            "    irq: master.irq[one]\n",
            LOOM_E_CONFIG, "board.yaml:7:10: error: interrupt reference 'master.irq[one]' is malformed",
            "expected DEVICE.INPUT[INDEX], DEVICE.INPUT or DEVICE");
}

static void test_board_short_reference_to_device_without_inputs_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  uart0:\n"
            "    type: pl011\n"
            "    at: 0x09000000\n"
            "  uart1:\n"
            "    type: pl011\n"
            "    at: 0x09001000\n"
            "    irq: uart0\n",
            LOOM_E_CONFIG, "board.yaml:8:10: error: interrupt reference 'uart0': 'uart0' has no interrupt inputs");
}

static void test_board_output_given_a_mapping_is_refused(void **state)
{
    REFUSES("devices:\n"
            "  master:\n"
            "    type: script-master\n"
            "  uart0:\n"
            "    type: pl011\n"
            "    at: 0x09000000\n"
            "    irq:\n"
            "      to: master.irq[0]\n",
            LOOM_E_CONFIG, "board.yaml:8:7: error: output 'irq' of 'uart0' expects an interrupt reference",
            "found a mapping");
}

/* ---- Includes (files in tmpdir) ------------------------------------------------------------ */

static void test_board_duplicate_device_across_include_names_the_first_place(void **state)
{
    char inc[256], top[256];
    write_file("dup-inc.yaml",
               "devices:\n"
               "  ram:\n"
               "    type: ram\n"
               "    at: 0x40000000\n"
               "    size: 64KiB\n",
               inc, sizeof inc);
    snprintf(top, sizeof top, "%s/dup-top.yaml", tmpdir);
    char first[300], twice[300];
    snprintf(first, sizeof first, "(first at %s:2:3)", inc);
    snprintf(twice, sizeof twice, "%s:3:3: error: device 'ram' is defined twice", top);
    refused_with(top,
                 "include: dup-inc.yaml\n"
                 "devices:\n"
                 "  ram:\n"
                 "    type: ram\n"
                 "    at: 0x50000000\n"
                 "    size: 64KiB\n",
                 NULL, LOOM_E_CONFIG, WORDS(twice, first));
}

static void test_board_error_in_included_file_names_that_file(void **state)
{
    char inc[256], top[256], where[400];
    write_file("bad-inc.yaml",
               "devices:\n"
               "  uart0:\n"
               "    type: pl012\n",
               inc, sizeof inc);
    snprintf(top, sizeof top, "%s/bad-top.yaml", tmpdir);
    snprintf(where, sizeof where, "%s:3:11: error: unknown device type 'pl012'; did you mean 'pl011'?", inc);
    refused_with(top,
                 "include: [bad-inc.yaml]\n"
                 "devices:\n"
                 "  t:\n"
                 "    type: test-ctl\n"
                 "    at: 0\n",
                 NULL, LOOM_E_CONFIG, WORDS(where));
}

/* A missing board file is an I/O problem, as for the top-level file: `loom`
 * exits 66 for it, not 65. */
static void test_board_missing_include_names_the_file(void **state)
{
    REFUSES("include: nosuch.yaml\n"
            "devices:\n"
            "  t:\n"
            "    type: test-ctl\n"
            "    at: 0\n",
            LOOM_E_IO, "board.yaml:1:10: error: cannot open board file './nosuch.yaml'", "No such file or directory");
}

static void test_board_include_loop_is_refused(void **state)
{
    char path[256], where[300];
    write_file("loop.yaml",
               "include: loop.yaml\n"
               "devices:\n"
               "  t:\n"
               "    type: test-ctl\n"
               "    at: 0\n",
               path, sizeof path);
    snprintf(where, sizeof where, "%s:1:10: error: 'loop.yaml' includes itself", path);
    loom_sim *sim;
    loom_platform *plat;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    assert_int_equal(loom_platform_load(sim, path, NULL, &plat), LOOM_E_CONFIG);
    expect_words(loom_sim_last_error(sim), WORDS(where, "this file"));
    /* One error, not one per level of nesting. */
    assert_null(strstr(loom_sim_last_error(sim), "defined twice"));
    loom_sim_free(sim);
}

static void test_board_include_given_a_mapping_is_refused(void **state)
{
    REFUSES("include: {file: other.yaml}\n"
            "devices:\n"
            "  t:\n"
            "    type: test-ctl\n"
            "    at: 0\n",
            LOOM_E_CONFIG, "board.yaml:1:10: error: 'include' expects a file name or a list of them", "found a mapping");
}

/* ---- Overrides (command line: no file position) -------------------------------------------- */

static const char override_board[] = "devices:\n"
                                     "  ram:\n"
                                     "    type: ram\n"
                                     "    at: 0x40000000\n"
                                     "    size: 64KiB\n";

static void test_override_of_unknown_instance_lists_devices(void **state)
{
    REFUSES_WITH(override_board, WORDS("rom.size=1MiB"),
                 "error: -p rom.size=1MiB: the board has no device 'rom' (devices: ram)");
}

static void test_override_of_unknown_property_lists_properties(void **state)
{
    REFUSES_WITH(override_board, WORDS("ram.sise=1MiB"),
                 "error: -p ram.sise=1MiB: type 'ram' has no property 'sise' (properties: size, latency)");
}

static void test_override_with_bad_value_says_what_was_expected(void **state)
{
    REFUSES_WITH(override_board, WORDS("ram.size=huge"), "error: -p ram.size=huge: 'huge' is not a size",
                 "such as 4096, 64KiB");
}

static void test_override_without_property_is_malformed(void **state)
{
    REFUSES_WITH(override_board, WORDS("ram=1MiB"), "error: -p ram=1MiB: expected INSTANCE.PROPERTY=VALUE");
}

static void test_override_without_value_is_malformed(void **state)
{
    REFUSES_WITH(override_board, WORDS("ram.size"), "error: -p ram.size: expected INSTANCE.PROPERTY=VALUE");
}

/* ---- All at once -------------------------------------------------------------------------- */

static void test_board_reports_every_error_at_once(void **state)
{
    loom_sim *sim;
    loom_platform *plat;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    assert_int_equal(loom_platform_load_string(sim, "board.yaml",
                                               "devices:\n"
                                               "  a:\n"
                                               "    type: rma\n"
                                               "  b:\n"
                                               "    type: ram\n"
                                               "    at: 0\n"
                                               "    size: lots\n"
                                               "  c:\n"
                                               "    type: pl011\n"
                                               "    at: 0x1000\n"
                                               "    irq: nobody\n",
                                               NULL, &plat),
                     LOOM_E_CONFIG);
    const char *msg = loom_sim_last_error(sim);
    expect_words(msg, WORDS("board.yaml:3:11: error: unknown device type 'rma'",
                            "board.yaml:7:11: error: property 'size' of 'b': 'lots' is not a size",
                            "board.yaml:11:10: error: interrupt reference 'nobody': no device named 'nobody'"));
    assert_int_equal(count_lines(msg), 3);
    loom_sim_free(sim);
}

static void test_board_reports_override_errors_with_board_errors(void **state)
{
    loom_override o[] = {{"b.size=1MiB"}, {"a.size=1"}};
    loom_platform_opts opts = {o, 2, NULL};
    loom_sim *sim;
    loom_platform *plat;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    assert_int_equal(loom_platform_load_string(sim, "board.yaml",
                                               "devices:\n"
                                               "  a:\n"
                                               "    type: test-ctl\n"
                                               "    at: 0\n"
                                               "  u:\n"
                                               "    type: pl011\n"
                                               "    at: 0x1000\n"
                                               "    irq: a.irq\n",
                                               &opts, &plat),
                     LOOM_E_CONFIG);
    const char *msg = loom_sim_last_error(sim);
    expect_words(msg, WORDS("error: -p b.size=1MiB: the board has no device 'b'",
                            "error: -p a.size=1: type 'test-ctl' has no property 'size'",
                            "board.yaml:8:10: error: interrupt reference 'a.irq'"));
    assert_int_equal(count_lines(msg), 3);
    loom_sim_free(sim);
}

/* ---- Good boards -------------------------------------------------------------------------- */

/* The script checks the test device's ID, a RAM round trip, the UART's
 * flags and a timer interrupt 100 us after it is started, then exits with
 * status 42. Any failed check would end the run with status 1. */
static const char run_board[] =
    "board: runner\n"
    "quantum: 1us\n"
    "devices:\n"
    "  ram:\n"
    "    type: ram\n"
    "    at: 0x40000000\n"
    "    size: 1MiB\n"
    "  uart0:\n"
    "    type: pl011\n"
    "    at: 0x09000000\n"
    "    chardev: null\n"
    "    irq: master.irq[0]\n"
    "  timer:\n"
    "    type: sp804\n"
    "    at: 0x09110000\n"
    "    clock: 1MHz\n"
    "    irq: master.irq[1]\n"
    "  test:\n"
    "    type: test-ctl\n"
    "    at: 0x090c0000\n"
    "  master:\n"
    "    type: script-master\n"
    "    commands: |\n"
    "      0us    read32  0x090c0008 expect 0x4c4d5443\n"
    "      0us    write32 0x40000100 0xcafef00d\n"
    "      0us    read32  0x40000100 expect 0xcafef00d\n"
    "      0us    read32  0x09000018 expect 0x90\n"
    "      20us   write32 0x09110000 100\n"
    "      20us   write32 0x09110008 0xe2\n"
    "      20us   irq 1 0\n"
    "      121us  irq 1 1\n"
    "      122us  exit 42\n";

static void test_board_from_string_runs_script_to_its_exit_status(void **state)
{
    loom_sim *sim;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    loom_platform *plat = load_ok(sim, "board.yaml", run_board, NULL);
    assert_string_equal(loom_platform_name(plat), "runner");
    assert_int_equal(loom_platform_quantum(plat), LOOM_US);
    assert_int_equal(loom_sim_run(sim, LOOM_MS), LOOM_STOP_EXIT);
    assert_int_equal(loom_sim_exit_status(sim), 42);
    assert_int_equal(loom_sim_now(sim), 122 * LOOM_US);
    loom_sim_free(sim);
}

static void test_board_failed_script_check_ends_with_status_1(void **state)
{
    loom_sim *sim;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    load_ok(sim, "board.yaml",
            "devices:\n"
            "  test:\n"
            "    type: test-ctl\n"
            "    at: 0x090c0000\n"
            "  master:\n"
            "    type: script-master\n"
            "    commands: 1us read32 0x090c0008 expect 0x12345678; 2us exit 0\n",
            NULL);
    assert_int_equal(loom_sim_run(sim, LOOM_MS), LOOM_STOP_EXIT);
    assert_int_equal(loom_sim_exit_status(sim), 1);
    assert_int_equal(loom_sim_now(sim), LOOM_US);
    loom_sim_free(sim);
}

static void test_board_name_defaults_to_the_file_name(void **state)
{
    loom_sim *sim;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    loom_platform *plat = load_ok(sim, "my-board.v2.yaml",
                                  "devices:\n"
                                  "  t:\n"
                                  "    type: test-ctl\n"
                                  "    at: 0\n",
                                  NULL);
    assert_string_equal(loom_platform_name(plat), "my-board");
    loom_sim_free(sim);
}

static void test_board_includes_merge_devices_and_settings(void **state)
{
    char a[256], b[256], top[256];
    write_file("merge-a.yaml",
               "board: from-a\n"
               "quantum: 5us\n"
               "devices:\n"
               "  ram:\n"
               "    type: ram\n"
               "    at: 0x40000000\n"
               "    size: 64KiB\n",
               a, sizeof a);
    write_file("merge-b.yaml",
               "devices:\n"
               "  master:\n"
               "    type: script-master\n"
               "    exit-at-end: false\n",
               b, sizeof b);
    /* The top file names the board; the quantum comes from the include.
     * A device of the top file wires to a device of an include. */
    write_file("merge-top.yaml",
               "include:\n"
               "  - merge-a.yaml\n"
               "  - merge-b.yaml\n"
               "board: merged\n"
               "devices:\n"
               "  uart0:\n"
               "    type: pl011\n"
               "    at: 0x09000000\n"
               "    irq: master.irq[3]\n",
               top, sizeof top);
    loom_sim *sim;
    loom_platform *plat;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    loom_err e = loom_platform_load(sim, top, NULL, &plat);
    if (e) print_error("%s\n", loom_sim_last_error(sim));
    assert_int_equal(e, LOOM_OK);
    assert_string_equal(loom_platform_name(plat), "merged");
    assert_int_equal(loom_platform_quantum(plat), 5 * LOOM_US);
    assert_int_equal(loom_sim_inst_count(sim), 3);
    loom_inst *ram = loom_sim_find_inst(sim, "ram"), *master = loom_sim_find_inst(sim, "master");
    loom_inst *uart = loom_sim_find_inst(sim, "uart0");
    assert_non_null(ram);
    assert_non_null(master);
    assert_non_null(uart);
    assert_ptr_equal(loom_inst_input_driver(master, "irq", 3), loom_inst_output(uart, "irq", 0));
    uint32_t v = 0x12345678, got = 0;
    assert_int_equal(loom_bus_write(loom_sim_memory(sim), 0x40000000, &v, 4), LOOM_OK);
    assert_int_equal(loom_bus_read(loom_sim_memory(sim), 0x40000000, &got, 4), LOOM_OK);
    assert_int_equal(got, v);
    loom_sim_free(sim);
}

/* A container at 0x40000000 holds the RAM and the test device; a 64 KiB
 * boot alias of the container's start is mapped at 0 over a ROM, with a
 * higher priority. An alias cannot show the space it is mapped in, so the
 * window looks into the container rather than into 'memory'. */
static void test_board_container_and_alias_route_accesses(void **state)
{
    loom_sim *sim;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    loom_platform *plat = load_ok(sim, "board.yaml",
                                  "devices:\n"
                                  "  flash:\n"
                                  "    type: rom\n"
                                  "    at: 0\n"
                                  "    size: 1MiB\n"
                                  "  boot:\n"
                                  "    type: alias\n"
                                  "    target: lowmem\n"
                                  "    size: 64KiB\n"
                                  "    on: memory\n"
                                  "    at: 0\n"
                                  "    priority: 1\n"
                                  "  ram:\n"
                                  "    type: ram\n"
                                  "    on: lowmem\n"
                                  "    at:\n"
                                  "      regs: 0\n"
                                  "    size: 64KiB\n"
                                  "  test:\n"
                                  "    type: test-ctl\n"
                                  "    on: lowmem\n"
                                  "    at: 0x80000\n"
                                  "  lowmem:\n"
                                  "    type: container\n"
                                  "    size: 1MiB\n"
                                  "    at: 0x40000000\n",
                                  NULL);
    loom_bus *mem = loom_sim_memory(sim);
    static const char text[] = "LOOM";
    char got[5] = "";
    assert_int_equal(loom_bus_write(mem, 0x40000010, text, 4), LOOM_OK);
    assert_int_equal(loom_bus_read(mem, 0x10, got, 4), LOOM_OK);
    assert_string_equal(got, "LOOM");
    /* Writes through the window land in the RAM too. */
    assert_int_equal(loom_bus_write(mem, 0x20, "MOOL", 4), LOOM_OK);
    assert_int_equal(loom_bus_read(mem, 0x40000020, got, 4), LOOM_OK);
    assert_string_equal(got, "MOOL");
    /* Past the window, the ROM shows through. */
    uint8_t b = 0xff;
    assert_int_equal(loom_bus_read(mem, 0x10000, &b, 1), LOOM_OK);
    assert_int_equal(b, 0);
    uint32_t id = 0;
    assert_int_equal(loom_bus_read(mem, 0x40080008, &id, 4), LOOM_OK);
    assert_int_equal(id, 0x4c4d5443);
    /* Nothing is mapped in the container between the RAM and the device. */
    assert_int_equal(loom_bus_read(mem, 0x40010000, &id, 4), LOOM_E_ADDRESS);
    char *d = describe(plat);
    expect_words(d, WORDS("  0x00000000-0x0000ffff  64 KiB    boot             alias           -> lowmem 0x00000000  priority 1",
                          "  0x00010000-0x000fffff  960 KiB   flash            rom             (from offset 0x10000)",
                          "    0x40000000-0x4000ffff  64 KiB    ram              ram",
                          "    0x40080000-0x40080fff  4 KiB     test             test-ctl"));
    free(d);
    loom_sim_free(sim);
}

static void test_board_interrupt_list_wires_each_line(void **state)
{
    loom_sim *sim;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    loom_platform *plat = load_ok(sim, "board.yaml",
                                  "devices:\n"
                                  "  master:\n"
                                  "    type: script-master\n"
                                  "  other:\n"
                                  "    type: script-master\n"
                                  "  timer:\n"
                                  "    type: sp804\n"
                                  "    at: 0x09110000\n"
                                  "    irq: master.irq[0]\n"
                                  "    irq-timer:\n"
                                  "      - master.irq[4]\n"
                                  "      - master.irq[5]\n"
                                  "  uart0:\n"
                                  "    type: pl011\n"
                                  "    at: 0x09000000\n"
                                  "    irq: other\n"
                                  "  uart1:\n"
                                  "    type: pl011\n"
                                  "    at: 0x09001000\n"
                                  "    irq: other.irq[7]\n",
                                  NULL);
    loom_inst *m = loom_sim_find_inst(sim, "master"), *o = loom_sim_find_inst(sim, "other");
    loom_inst *t = loom_sim_find_inst(sim, "timer");
    assert_ptr_equal(loom_inst_input_driver(m, "irq", 0), loom_inst_output(t, "irq", 0));
    assert_ptr_equal(loom_inst_input_driver(m, "irq", 4), loom_inst_output(t, "irq-timer", 0));
    assert_ptr_equal(loom_inst_input_driver(m, "irq", 5), loom_inst_output(t, "irq-timer", 1));
    assert_null(loom_inst_input_driver(m, "irq", 1));
    /* DEVICE alone names its only input, line 0. */
    assert_ptr_equal(loom_inst_input_driver(o, "irq", 0), loom_inst_output(loom_sim_find_inst(sim, "uart0"), "irq", 0));
    assert_ptr_equal(loom_inst_input_driver(o, "irq", 7), loom_inst_output(loom_sim_find_inst(sim, "uart1"), "irq", 0));
    char *d = describe(plat);
    expect_words(d, WORDS("timer.irq-timer[0]", "-> master.irq[4]", "timer.irq-timer[1]", "-> master.irq[5]",
                          "uart1.irq", "-> other.irq[7]"));
    free(d);
    loom_sim_free(sim);
}

static void test_override_changes_size_seen_by_model_and_describe(void **state)
{
    loom_sim *sim;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    loom_platform *plat = load_ok(sim, "board.yaml", override_board, WORDS("ram.size=1MiB"));
    loom_inst *ram = loom_sim_find_inst(sim, "ram");
    assert_int_equal(loom_inst_prop_u64(ram, "size"), MiB);
    assert_int_equal(loom_region_size(loom_inst_region(ram, 0, NULL)), MiB);
    /* The last byte of the larger RAM answers. */
    uint8_t b;
    assert_int_equal(loom_bus_read(loom_sim_memory(sim), 0x40000000 + MiB - 1, &b, 1), LOOM_OK);
    char *d = describe(plat);
    expect_words(d, WORDS("0x40000000-0x400fffff  1 MiB     ram", "size=1MiB"));
    free(d);
    loom_sim_free(sim);
}

static void test_board_file_properties_are_relative_to_the_board_file(void **state)
{
    char script[256], image[256], board[256];
    write_file("rel.script", "3us exit 9\n", script, sizeof script);
    write_file("rel.bin", "ROM!", image, sizeof image);
    write_file("rel.yaml",
               "devices:\n"
               "  flash:\n"
               "    type: rom\n"
               "    at: 0\n"
               "    file: rel.bin\n"
               "  master:\n"
               "    type: script-master\n"
               "    script: rel.script\n",
               board, sizeof board);
    /* From a folder that holds neither file. */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir("/"), 0);
    loom_sim *sim;
    loom_platform *plat;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    loom_err e = loom_platform_load(sim, board, NULL, &plat);
    assert_int_equal(chdir(cwd), 0);
    if (e) print_error("%s\n", loom_sim_last_error(sim));
    assert_int_equal(e, LOOM_OK);
    assert_string_equal(loom_inst_prop_str(loom_sim_find_inst(sim, "master"), "script"), script);
    char got[5] = "";
    assert_int_equal(loom_bus_read(loom_sim_memory(sim), 0, got, 4), LOOM_OK);
    assert_string_equal(got, "ROM!");
    assert_int_equal(loom_region_size(loom_inst_region(loom_sim_find_inst(sim, "flash"), 0, NULL)), 4);
    assert_int_equal(loom_sim_run(sim, LOOM_MS), LOOM_STOP_EXIT);
    assert_int_equal(loom_sim_exit_status(sim), 9);
    loom_sim_free(sim);
}

static void test_board_missing_file_property_names_the_resolved_path(void **state)
{
    char board[256], where[600];
    snprintf(board, sizeof board, "%s/nofile.yaml", tmpdir);
    snprintf(where, sizeof where, "%s:2:3: error: master (script-master): cannot read script '%s/gone.script'",
             board, tmpdir);
    refused_with(board,
                 "devices:\n"
                 "  master:\n"
                 "    type: script-master\n"
                 "    script: gone.script\n",
                 NULL, LOOM_E_CONFIG, WORDS(where));
}

static void test_describe_prints_the_arm_virt_memory_map(void **state)
{
    loom_sim *sim;
    loom_platform *plat;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    loom_err e = loom_platform_load(sim, LOOM_SOURCE_DIR "/yaml-platforms/arm-virt.yaml", NULL, &plat);
    if (e) print_error("%s\n", loom_sim_last_error(sim));
    assert_int_equal(e, LOOM_OK);
    char *d = describe(plat);
    expect_words(d, WORDS("Board arm-virt\n", "Quantum: 10 us\n", "Memory map ('memory'):\n",
                          "  0x00000000-0x03ffffff  64 MiB    flash0           cfi-flash",
                          "  0x04000000-0x07ffffff  64 MiB    flash1           cfi-flash",
                          "  0x08000000-0x08000fff  4 KiB     gic.distributor  gicv2",
                          "  0x08010000-0x08011fff  8 KiB     gic.cpu          gicv2",
                          "  0x09000000-0x09000fff  4 KiB     uart0            pl011",
                          "  0x09010000-0x09010fff  4 KiB     rtc              pl031",
                          "  0x09030000-0x09030fff  4 KiB     gpio             pl061",
                          "  0x090c0000-0x090c0fff  4 KiB     test             test-ctl",
                          "  0x40000000-0x47ffffff  128 MiB   ram              ram", "Interrupts:\n",
                          "uart0.irq                    -> gic.spi[1]", "rtc.irq                      -> gic.spi[2]",
                          "gpio.out[0-7]                   (not connected)", "Devices:\n", "size=128MiB"));
    /* No port-I/O section when nothing is mapped there. */
    assert_null(strstr(d, "Port I/O map"));
    free(d);
    loom_sim_free(sim);
}

static void test_describe_groups_lines_that_drive_nothing(void **state)
{
    loom_sim *sim;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    loom_platform *plat = load_ok(sim, "board.yaml",
                                  "devices:\n"
                                  "  gpio:\n"
                                  "    type: pl061\n"
                                  "    at: 0x1000\n"
                                  "    out[3]: gpio2.in[0]\n"
                                  "  gpio2:\n"
                                  "    type: pl061\n"
                                  "    at: 0x2000\n",
                                  NULL);
    char *d = describe(plat);
    /* A run of lines is one row, a lone line is named; in order. */
    expect_words(d, WORDS("gpio.out[0-2]                   (not connected)",
                          "gpio.out[3]                  -> gpio2.in[0]",
                          "gpio.out[4-7]                   (not connected)",
                          "gpio.irq                        (not connected)", "gpio2.out[0-7]"));
    free(d);
    loom_sim_free(sim);
}

static void test_describe_shows_the_port_io_map_when_used(void **state)
{
    loom_sim *sim;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    loom_platform *plat = load_ok(sim, "board.yaml",
                                  "devices:\n"
                                  "  com1:\n"
                                  "    type: ns16550a\n"
                                  "    on: io\n"
                                  "    at: 0x3f8\n",
                                  NULL);
    char *d = describe(plat);
    expect_words(d, WORDS("Port I/O map ('io'):\n", "  0x03f8-0x03ff  8 B       com1             ns16550a",
                          "Memory map ('memory'):\n  (empty)\n"));
    free(d);
    loom_sim_free(sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_board_yaml_syntax_error_gives_position_and_problem),
        cmocka_unit_test(test_board_empty_file_is_refused),
        cmocka_unit_test(test_board_root_list_is_refused),
        cmocka_unit_test(test_board_unknown_top_level_key_suggests_the_nearest),
        cmocka_unit_test(test_board_duplicate_top_level_key_is_refused),
        cmocka_unit_test(test_board_devices_given_a_list_is_refused),
        cmocka_unit_test(test_board_device_given_a_value_is_refused),
        cmocka_unit_test(test_board_without_devices_is_refused),
        cmocka_unit_test(test_board_second_yaml_document_is_refused),
        cmocka_unit_test(test_board_bad_quantum_is_refused),
        cmocka_unit_test(test_board_zero_quantum_is_refused),
        cmocka_unit_test(test_board_firmware_given_a_value_is_refused),
        cmocka_unit_test(test_board_firmware_keys_are_checked),
        cmocka_unit_test(test_board_semihosting_switch),
        cmocka_unit_test(test_board_device_name_with_space_is_refused),
        cmocka_unit_test(test_board_memory_is_not_a_device_name),
        cmocka_unit_test(test_board_device_without_type_is_refused),
        cmocka_unit_test(test_board_unknown_type_lists_known_types),
        cmocka_unit_test(test_board_unknown_type_far_from_all_suggests_nothing),
        cmocka_unit_test(test_board_type_given_a_list_is_refused),
        cmocka_unit_test(test_board_duplicate_device_names_first_definition),
        cmocka_unit_test(test_board_duplicate_key_in_device_is_refused),
        cmocka_unit_test(test_board_unknown_property_suggests_the_nearest),
        cmocka_unit_test(test_board_unknown_property_lists_properties_and_outputs),
        cmocka_unit_test(test_board_size_refuses_words),
        cmocka_unit_test(test_board_frequency_refuses_words),
        cmocka_unit_test(test_board_boolean_refuses_maybe),
        cmocka_unit_test(test_board_enum_refuses_a_bad_choice_and_lists_choices),
        cmocka_unit_test(test_board_integer_refuses_a_fraction),
        cmocka_unit_test(test_board_property_given_a_mapping_is_refused),
        cmocka_unit_test(test_board_property_given_a_list_is_refused),
        cmocka_unit_test(test_board_ram_without_size_names_the_missing_property),
        cmocka_unit_test(test_board_model_init_failure_is_placed_at_the_device),
        cmocka_unit_test(test_board_overlapping_regions_name_both_and_their_ranges),
        cmocka_unit_test(test_board_overlap_with_higher_priority_is_allowed),
        cmocka_unit_test(test_board_region_beyond_io_space_is_refused),
        cmocka_unit_test(test_board_device_with_region_needs_at),
        cmocka_unit_test(test_board_at_for_device_without_regions_is_refused),
        cmocka_unit_test(test_board_malformed_address_is_refused),
        cmocka_unit_test(test_board_at_given_a_list_is_refused),
        cmocka_unit_test(test_board_at_mapping_with_unknown_region_lists_regions),
        cmocka_unit_test(test_board_on_naming_a_non_container_is_refused),
        cmocka_unit_test(test_board_on_naming_nothing_is_refused),
        cmocka_unit_test(test_board_priority_out_of_range_is_refused),
        cmocka_unit_test(test_board_alias_onto_a_non_container_is_refused),
        cmocka_unit_test(test_board_interrupt_to_missing_device_is_refused),
        cmocka_unit_test(test_board_interrupt_to_missing_input_lists_inputs),
        cmocka_unit_test(test_board_interrupt_input_index_out_of_range_is_refused),
        cmocka_unit_test(test_board_input_driven_twice_names_the_first_driver),
        cmocka_unit_test(test_board_output_index_out_of_range_is_refused),
        cmocka_unit_test(test_board_output_list_longer_than_output_is_refused),
        cmocka_unit_test(test_board_malformed_interrupt_reference_is_refused),
        cmocka_unit_test(test_board_short_reference_to_device_without_inputs_is_refused),
        cmocka_unit_test(test_board_output_given_a_mapping_is_refused),
        cmocka_unit_test(test_board_duplicate_device_across_include_names_the_first_place),
        cmocka_unit_test(test_board_error_in_included_file_names_that_file),
        cmocka_unit_test(test_board_missing_include_names_the_file),
        cmocka_unit_test(test_board_include_loop_is_refused),
        cmocka_unit_test(test_board_include_given_a_mapping_is_refused),
        cmocka_unit_test(test_override_of_unknown_instance_lists_devices),
        cmocka_unit_test(test_override_of_unknown_property_lists_properties),
        cmocka_unit_test(test_override_with_bad_value_says_what_was_expected),
        cmocka_unit_test(test_override_without_property_is_malformed),
        cmocka_unit_test(test_override_without_value_is_malformed),
        cmocka_unit_test(test_board_reports_every_error_at_once),
        cmocka_unit_test(test_board_reports_override_errors_with_board_errors),
        cmocka_unit_test(test_board_from_string_runs_script_to_its_exit_status),
        cmocka_unit_test(test_board_failed_script_check_ends_with_status_1),
        cmocka_unit_test(test_board_name_defaults_to_the_file_name),
        cmocka_unit_test(test_board_includes_merge_devices_and_settings),
        cmocka_unit_test(test_board_container_and_alias_route_accesses),
        cmocka_unit_test(test_board_interrupt_list_wires_each_line),
        cmocka_unit_test(test_override_changes_size_seen_by_model_and_describe),
        cmocka_unit_test(test_board_file_properties_are_relative_to_the_board_file),
        cmocka_unit_test(test_board_missing_file_property_names_the_resolved_path),
        cmocka_unit_test(test_describe_prints_the_arm_virt_memory_map),
        cmocka_unit_test(test_describe_shows_the_port_io_map_when_used),
        cmocka_unit_test(test_describe_groups_lines_that_drive_nothing),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
