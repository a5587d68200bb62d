// A pure SystemC top level with a Loom CPU: loom::Cpu (an ARM Cortex-A15)
// on a small router, a SystemC memory that grants DMI at 0x40000000, Loom's
// PL011 UART through loom::Model at 0x09000000 (its console on standard
// output, its interrupt on a signal), and at 0x090c0000 a SystemC target
// written as a user would (a plain simple_target_socket) whose register
// ends the simulation with a status, as the virt board's test control
// device does. It runs the bare-metal
// examples of examples/arm/ that print through the PL011 (hello.elf):
//   loom_systemc_hello PROGRAM.elf
// and prints, after the program's output, how many accesses went through
// b_transport (with DMI, few do), the instructions run and the time the
// console saw the end-of-run write at (each instruction takes 10 ns).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "loom_systemc.h"

using namespace sc_core;

// Memory that hands out DMI for all of itself.
struct Memory : sc_module {
    tlm_utils::simple_target_socket<Memory, 32> socket;
    unsigned char *data; // calloc: pages the program never touches cost nothing
    size_t size;
    uint64_t transports = 0;

    Memory(sc_module_name n, size_t bytes) : sc_module(n), socket("socket"), data(nullptr), size(bytes)
    {
        data = static_cast<unsigned char *>(std::calloc(size, 1));
        if (!data) throw std::bad_alloc();
        socket.register_b_transport(this, &Memory::b_transport);
        socket.register_get_direct_mem_ptr(this, &Memory::get_dmi);
        socket.register_transport_dbg(this, &Memory::debug);
    }
    ~Memory() override { std::free(data); }
    bool in_range(const tlm::tlm_generic_payload &gp) const
    {
        return gp.get_address() + gp.get_data_length() <= size;
    }
    void b_transport(tlm::tlm_generic_payload &gp, sc_time &delay)
    {
        transports++;
        if (!in_range(gp)) {
            gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
            return;
        }
        unsigned char *p = data + gp.get_address();
        if (gp.is_write()) std::memcpy(p, gp.get_data_ptr(), gp.get_data_length());
        else std::memcpy(gp.get_data_ptr(), p, gp.get_data_length());
        gp.set_dmi_allowed(true);
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
    }
    unsigned debug(tlm::tlm_generic_payload &gp)
    {
        if (!in_range(gp)) return 0;
        unsigned char *p = data + gp.get_address();
        if (gp.is_write()) std::memcpy(p, gp.get_data_ptr(), gp.get_data_length());
        else std::memcpy(gp.get_data_ptr(), p, gp.get_data_length());
        return gp.get_data_length();
    }
    bool get_dmi(tlm::tlm_generic_payload &, tlm::tlm_dmi &d)
    {
        d.set_dmi_ptr(data);
        d.set_start_address(0);
        d.set_end_address(size - 1);
        d.allow_read_write();
        d.set_read_latency(SC_ZERO_TIME);
        d.set_write_latency(SC_ZERO_TIME);
        return true;
    }
};

// The end-of-run register.
struct Console : sc_module {
    tlm_utils::simple_target_socket<Console, 32> socket;
    int status = -1;
    sc_time ended; // when the end-of-run write happened (SystemC time plus its offset)

    Console(sc_module_name n) : sc_module(n), socket("socket")
    {
        socket.register_b_transport(this, &Console::b_transport);
    }
    void b_transport(tlm::tlm_generic_payload &gp, sc_time &delay)
    {
        uint32_t v = 0;
        std::memcpy(&v, gp.get_data_ptr(), gp.get_data_length() < 4 ? gp.get_data_length() : 4);
        uint64_t a = gp.get_address();
        if (gp.is_write() && a == 0x0) { // test control: 0x5555 passes, 0x3333 fails
            status = (v & 0xffff) == 0x5555 ? 0 : 1;
            ended = sc_time_stamp() + delay;
            sc_stop();
        } else if (!gp.is_write()) {
            std::memset(gp.get_data_ptr(), 0, gp.get_data_length());
        }
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
    }
};

// An address decoder: [base, base + size) to each target, addresses made
// relative; DMI ranges and invalidations translated both ways.
struct Router : sc_module, tlm::tlm_fw_transport_if<>, tlm::tlm_bw_transport_if<> {
    tlm::tlm_target_socket<32> in;
    struct Port {
        tlm::tlm_initiator_socket<32> *out;
        uint64_t base, size;
    };
    std::vector<Port> ports;

    // Ports are made with the module (SystemC wants them then), mapped later.
    Router(sc_module_name n, unsigned nports) : sc_module(n), in("in")
    {
        in.bind(*this);
        for (unsigned i = 0; i < nports; i++) {
            auto *out = new tlm::tlm_initiator_socket<32>(sc_gen_unique_name("out"));
            out->bind(*this);
            ports.push_back({out, 0, 0});
        }
    }
    ~Router() override
    {
        for (auto &p : ports) delete p.out;
    }
    void map(unsigned i, tlm::tlm_target_socket<32> &target, uint64_t base, uint64_t size)
    {
        ports[i].out->bind(target);
        ports[i].base = base;
        ports[i].size = size;
    }
    Port *route(tlm::tlm_generic_payload &gp)
    {
        for (auto &p : ports)
            if (gp.get_address() >= p.base && gp.get_address() - p.base < p.size) {
                gp.set_address(gp.get_address() - p.base);
                return &p;
            }
        return nullptr;
    }
    void b_transport(tlm::tlm_generic_payload &gp, sc_time &delay) override
    {
        uint64_t a = gp.get_address();
        if (Port *p = route(gp)) (*p->out)->b_transport(gp, delay);
        else gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        gp.set_address(a);
    }
    bool get_direct_mem_ptr(tlm::tlm_generic_payload &gp, tlm::tlm_dmi &d) override
    {
        Port *p = route(gp);
        if (!p || !(*p->out)->get_direct_mem_ptr(gp, d)) return false;
        d.set_start_address(d.get_start_address() + p->base);
        d.set_end_address(d.get_end_address() + p->base);
        return true;
    }
    unsigned transport_dbg(tlm::tlm_generic_payload &gp) override
    {
        uint64_t a = gp.get_address();
        Port *p = route(gp);
        unsigned n = p ? (*p->out)->transport_dbg(gp) : 0;
        gp.set_address(a);
        return n;
    }
    tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload &, tlm::tlm_phase &, sc_time &) override
    {
        return tlm::TLM_COMPLETED;
    }
    tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload &, tlm::tlm_phase &, sc_time &) override
    {
        return tlm::TLM_COMPLETED;
    }
    void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) override
    {
        for (auto &p : ports) in->invalidate_direct_mem_ptr(start + p.base, end + p.base); // (all ports: simple)
    }
};

int sc_main(int argc, char **argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s PROGRAM.elf\n", argv[0]);
        return 64;
    }
    tlm::tlm_global_quantum::instance().set(sc_time(10, SC_US));
    sc_report_handler::set_actions("/OSCI/SystemC", SC_INFO, SC_DO_NOTHING); /* "stopped by user" */
    loom::Cpu cpu("cpu0", "arm", "cortex-a15");
    Router bus("bus", 3);
    Memory ram("ram", 128u << 20);
    Console console("console");
    loom::Model uart("uart0", "pl011", {{"chardev", "stdio"}});
    sc_signal<bool> irq_line("irq_line"), fiq_line("fiq_line"), uart_irq("uart_irq");
    cpu.socket.bind(bus.in);
    bus.map(0, ram.socket, 0x40000000, 128u << 20);
    bus.map(1, uart.socket, 0x09000000, 0x1000);
    bus.map(2, console.socket, 0x090c0000, 0x1000);
    uart.irq[0]->bind(uart_irq);
    cpu.irq[0]->bind(irq_line);
    cpu.irq[1]->bind(fiq_line);
    try {
        cpu.load_elf(argv[1]);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 66;
    }
    sc_start(sc_time(100, SC_SEC)); // a program that never ends stops there
    std::printf("[systemc] status %d, %llu accesses through b_transport (memory: %llu), %llu instructions, "
                "ended at %s\n",
                console.status, static_cast<unsigned long long>(cpu.transports()),
                static_cast<unsigned long long>(ram.transports),
                static_cast<unsigned long long>(loom_cpu_insns(cpu.cpu())), console.ended.to_string().c_str());
    return console.status < 0 ? 124 : console.status;
}
