// Loom inside SystemC (TLM-2.0): loom::Cpu puts a Loom CPU in a SystemC
// design as an sc_module with a TLM initiator socket and interrupt inputs.
// The CPU runs a quantum at a time (tlm_utils::tlm_quantumkeeper, the
// global quantum); its slow-path accesses go out through b_transport with
// the time offset of the instruction that makes them; DMI pointers the
// targets grant go into the CPU's TLB and invalidate_direct_mem_ptr takes
// them back; debug accesses (loaders, debuggers) use transport_dbg.
// Loom's simulated time is SystemC's.
#ifndef LOOM_SYSTEMC_H
#define LOOM_SYSTEMC_H

#include <string>
#include <utility>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "loom/loom.h"

namespace loom {

class Cpu : public sc_core::sc_module, public tlm::tlm_bw_transport_if<> {
public:
    tlm::tlm_initiator_socket<32> socket;
    // The architecture's interrupt inputs, in its order (ARM: irq, fiq).
    std::vector<sc_core::sc_in<bool> *> irq;

    Cpu(sc_core::sc_module_name name, const char *arch, const char *model = "", uint64_t clock_hz = 100000000);
    ~Cpu() override;

    // Load an ELF file through the socket (transport_dbg) and start at its
    // entry. Throws std::runtime_error with Loom's message on failure.
    void load_elf(const std::string &path);

    loom_cpu *cpu() const { return cpu_; }
    loom_sim *sim() const { return sim_; }
    // Accesses that went out through b_transport (the slow path).
    uint64_t transports() const { return transports_; }

    // tlm_bw_transport_if
    tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload &, tlm::tlm_phase &, sc_core::sc_time &) override;
    void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) override;

private:
    void run();
    void on_irq();
    static void transport(void *opaque, loom_txn *t);
    static bool get_dmi(void *opaque, uint64_t offset, loom_dmi *dmi);
    static void debug(void *opaque, loom_txn *t);

    loom_sim *sim_ = nullptr;
    loom_bus *bus_ = nullptr;
    loom_region *window_ = nullptr; // everything the CPU addresses: the socket
    loom_cpu *cpu_ = nullptr;
    tlm_utils::tlm_quantumkeeper qk_;
    sc_core::sc_event irq_event_;
    uint64_t transports_ = 0;
};

// Any registered C model (loom models) as a TLM target: its first region
// is the socket, its interrupt outputs are sc_out<bool> ports (in port
// order, each line of a multi-line output in turn). The model keeps its own
// Loom simulation, whose time follows SystemC's: an access happens at
// sc_time_stamp() plus its delay, and the model's own events (timers, FIFO
// timing) fire at their SystemC times.
class Model : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<Model, 32> socket;
    std::vector<sc_core::sc_out<bool> *> irq;

    // props: property name and value pairs, as a board would set them.
    Model(sc_core::sc_module_name name, const char *type,
          const std::vector<std::pair<std::string, std::string>> &props = {});
    ~Model() override;
    loom_inst *inst() const { return inst_; }

private:
    void b_transport(tlm::tlm_generic_payload &gp, sc_core::sc_time &delay);
    unsigned transport_dbg(tlm::tlm_generic_payload &gp);
    void events();
    static void on_line(void *opaque, unsigned n, bool level);
    void access(tlm::tlm_generic_payload &gp, loom_cmd cmd, loom_time delay);

    loom_sim *sim_ = nullptr;
    loom_bus *bus_ = nullptr;
    loom_inst *inst_ = nullptr;
    sc_core::sc_event scheduled_; // an access may have scheduled a model event
};

} // namespace loom

#endif
