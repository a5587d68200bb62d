// loom::Cpu: a Loom CPU as a SystemC TLM-2.0 initiator.
#include <cstring>
#include <stdexcept>

#include "loom_systemc.h"

namespace loom {

namespace {

sc_core::sc_time ps(loom_time t) { return sc_core::sc_time(static_cast<double>(t), sc_core::SC_PS); }

loom_time to_ps(const sc_core::sc_time &t)
{
    return static_cast<loom_time>(t.value() / sc_core::sc_time(1, sc_core::SC_PS).value());
}

loom_time now_ps() { return to_ps(sc_core::sc_time_stamp()); }

} // namespace

Cpu::Cpu(sc_core::sc_module_name name, const char *arch, const char *model, uint64_t clock_hz)
    : sc_core::sc_module(name), socket("socket")
{
    socket.bind(*this);
    if (loom_sim_new(&sim_)) throw std::runtime_error("loom: out of memory");
    // The CPU addresses the whole 32-bit space through one region that is
    // the socket.
    static const loom_target_ops ops = {&Cpu::transport, &Cpu::get_dmi, &Cpu::debug};
    if (loom_bus_new(sim_, "socket", 0, &bus_) || loom_region_new(sim_, "socket", 1ull << 32, &ops, this, &window_) ||
        loom_bus_map(bus_, window_, 0, 0, nullptr))
        throw std::runtime_error(std::string("loom: ") + loom_sim_last_error(sim_));
    loom_cpu_opts o = {};
    o.name = basename();
    o.clock_hz = clock_hz;
    if (loom_cpu_new(sim_, arch, model, bus_, &o, &cpu_))
        throw std::runtime_error(std::string("loom: ") + loom_sim_last_error(sim_));
    const loom_arch *a = loom_cpu_arch(cpu_);
    for (unsigned i = 0; i < a->irq_lines; i++) {
        std::string n = a->irq_names ? a->irq_names[i] : "irq" + std::to_string(i);
        irq.push_back(new sc_core::sc_in<bool>(n.c_str()));
    }
    SC_HAS_PROCESS(Cpu);
    SC_THREAD(run);
    SC_METHOD(on_irq);
    for (auto *in : irq) sensitive << *in;
    dont_initialize();
    qk_.reset();
}

Cpu::~Cpu()
{
    for (auto *in : irq) delete in;
    loom_sim_free(sim_);
}

void Cpu::load_elf(const std::string &path)
{
    loom_elf_info info;
    if (loom_load_elf(sim_, bus_, path.c_str(), &info))
        throw std::runtime_error(std::string("loom: ") + loom_sim_last_error(sim_));
    loom_cpu_set_pc(cpu_, info.entry);
}

void Cpu::on_irq()
{
    for (size_t i = 0; i < irq.size(); i++) loom_cpu_set_irq(cpu_, static_cast<unsigned>(i), irq[i]->read());
    irq_event_.notify(sc_core::SC_ZERO_TIME);
}

// Run a quantum at a time. Loom's time follows SystemC's: before each run
// the simulation advances to the current time plus what the CPU ran ahead,
// which fires Loom's own events (the generic timer) on the way.
void Cpu::run()
{
    loom_time period = loom_cpu_period(cpu_);
    for (;;) {
        loom_sim_advance_to(sim_, now_ps() + to_ps(qk_.get_local_time()));
        if (loom_sim_stop_requested(sim_)) {
            qk_.sync();
            sc_core::sc_stop();
            return;
        }
        if (loom_cpu_halted(cpu_)) {
            // Waiting for an interrupt: until one comes or Loom's next event.
            qk_.sync();
            loom_time next = loom_sim_next_event(sim_);
            if (next == LOOM_TIME_MAX) sc_core::wait(irq_event_);
            else sc_core::wait(ps(next > now_ps() ? next - now_ps() : 0), irq_event_);
            continue;
        }
        // The quantum; and past it while nothing else in the design has
        // anything to do before the CPU's local time (up to 100 quanta):
        // there a thread switch a quantum would cost more than the quantum.
        sc_core::sc_time quantum = qk_.get_global_quantum(), local = qk_.get_local_time(), limit = quantum;
        if (local >= quantum) {
            sc_core::sc_time next = sc_core::sc_time_to_pending_activity(sc_core::sc_get_curr_simcontext());
            if (next <= local || local >= quantum * 100) {
                qk_.sync();
                continue;
            }
            limit = next < quantum * 100 ? next : quantum * 100;
        }
        uint64_t n = static_cast<uint64_t>((limit - local).value() / ps(period).value());
        uint64_t before = loom_cpu_insns(cpu_);
        loom_cpu_exit why = loom_cpu_run(cpu_, n ? n : 1);
        qk_.inc(ps((loom_cpu_insns(cpu_) - before) * period));
        if (why == LOOM_CPU_FATAL) {
            SC_REPORT_ERROR(name(), loom_sim_last_error(sim_));
            sc_core::sc_stop();
            return;
        }
        if (why == LOOM_CPU_EXIT_REQUEST) qk_.sync();
    }
}

// The slow path: one TLM transaction, at the time of the instruction.
void Cpu::transport(void *opaque, loom_txn *t)
{
    Cpu *self = static_cast<Cpu *>(opaque);
    tlm::tlm_generic_payload gp;
    gp.set_address(t->addr);
    gp.set_data_ptr(t->data);
    gp.set_data_length(t->len);
    gp.set_streaming_width(t->len);
    gp.set_command(loom_cmd_is_write(t->cmd) ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    if (loom_cmd_is_debug(t->cmd)) {
        unsigned n = self->socket->transport_dbg(gp);
        t->resp = n == t->len ? LOOM_RESP_OK : LOOM_RESP_ADDRESS_ERROR;
        return;
    }
    sc_core::sc_time delay = self->qk_.get_local_time() + ps(t->delay);
    self->transports_++;
    self->socket->b_transport(gp, delay);
    // A target that stopped the simulation stops the CPU after this access.
    if (sc_core::sc_get_curr_simcontext()->sim_status() == sc_core::SC_SIM_USER_STOP) t->sync = true;
    switch (gp.get_response_status()) {
    case tlm::TLM_OK_RESPONSE: t->resp = LOOM_RESP_OK; break;
    case tlm::TLM_ADDRESS_ERROR_RESPONSE: t->resp = LOOM_RESP_ADDRESS_ERROR; break;
    default: t->resp = LOOM_RESP_GENERIC_ERROR; break;
    }
}

void Cpu::debug(void *opaque, loom_txn *t) { transport(opaque, t); }

// DMI: ask the target; what it grants goes into the CPU's TLB.
bool Cpu::get_dmi(void *opaque, uint64_t offset, loom_dmi *dmi)
{
    Cpu *self = static_cast<Cpu *>(opaque);
    tlm::tlm_generic_payload gp;
    tlm::tlm_dmi d;
    gp.set_address(offset);
    gp.set_command(tlm::TLM_READ_COMMAND);
    if (!self->socket->get_direct_mem_ptr(gp, d) || !d.get_dmi_ptr()) return false;
    std::memset(dmi, 0, sizeof *dmi);
    dmi->host = d.get_dmi_ptr();
    dmi->start = d.get_start_address();
    dmi->end = d.get_end_address();
    dmi->rights = (d.is_read_allowed() ? unsigned(LOOM_DMI_READ) : 0u) |
                  (d.is_write_allowed() ? unsigned(LOOM_DMI_WRITE) : 0u);
    return true;
}

tlm::tlm_sync_enum Cpu::nb_transport_bw(tlm::tlm_generic_payload &, tlm::tlm_phase &, sc_core::sc_time &)
{
    return tlm::TLM_COMPLETED; // blocking transport only
}

void Cpu::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end)
{
    loom_region_invalidate_dmi(window_, start, end - start + 1);
}

} // namespace loom
