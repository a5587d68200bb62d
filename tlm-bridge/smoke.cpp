// A SystemC kernel smoke test: proves the C++17 toolchain links against
// Debian's SystemC and that Loom's C headers compile as C++.
#include <systemc>

#include "loom/loom.h"

SC_MODULE(ticker) {
    int ticks = 0;
    void run() {
        for (int i = 0; i < 5; i++) {
            wait(sc_core::sc_time(10, sc_core::SC_NS));
            ticks++;
        }
    }
    SC_CTOR(ticker) { SC_THREAD(run); }
};

int sc_main(int, char **) {
    ticker t("ticker");
    sc_core::sc_start();
    bool ok = t.ticks == 5 && sc_core::sc_time_stamp() == sc_core::sc_time(50, sc_core::SC_NS);
    std::printf("systemc: %d ticks at %s: %s\n", t.ticks, sc_core::sc_time_stamp().to_string().c_str(),
                ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
