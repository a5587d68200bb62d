// loom::Model: a C model as a SystemC TLM-2.0 target.
#include <stdexcept>

#include "loom_systemc.h"

namespace loom {

namespace {

loom_time to_ps(const sc_core::sc_time &t)
{
    return static_cast<loom_time>(t.value() / sc_core::sc_time(1, sc_core::SC_PS).value());
}

struct line_ref {
    sc_core::sc_out<bool> *out;
};

} // namespace

Model::Model(sc_core::sc_module_name name, const char *type,
             const std::vector<std::pair<std::string, std::string>> &props)
    : sc_core::sc_module(name), socket("socket")
{
    if (loom_sim_new(&sim_)) throw std::runtime_error("loom: out of memory");
    auto fail = [this](const std::string &what) {
        throw std::runtime_error(std::string(this->name()) + ": " + what);
    };
    const loom_model_type *t = loom_sim_find_model(sim_, type);
    if (!t) fail(std::string("no model type '") + type + "' (loom models lists them)");
    if (loom_inst_create(sim_, t, basename(), &inst_)) fail(loom_sim_last_error(sim_));
    char err[256];
    for (const auto &p : props)
        if (loom_inst_set_prop(inst_, p.first.c_str(), p.second.c_str(), err, sizeof err))
            fail(p.first + ": " + err);
    if (loom_inst_init(inst_) || loom_inst_realize(inst_)) fail(loom_sim_last_error(sim_));
    if (!loom_inst_region_count(inst_)) fail("the model has no region to put behind a socket");
    loom_region *r = loom_inst_region(inst_, 0, nullptr);
    if (loom_bus_new(sim_, "socket", 0, &bus_) || loom_bus_map(bus_, r, 0, 0, nullptr)) fail(loom_sim_last_error(sim_));
    for (size_t i = 0; i < loom_inst_port_count(inst_); i++) {
        loom_port_info pi = loom_inst_port(inst_, i);
        if (!pi.output) continue;
        for (unsigned k = 0; k < pi.count; k++) {
            std::string n = pi.count == 1 ? pi.name : std::string(pi.name) + "_" + std::to_string(k);
            auto *out = new sc_core::sc_out<bool>(n.c_str());
            irq.push_back(out);
            loom_irq_connect(loom_inst_output(inst_, pi.name, k), &Model::on_line, out, 0);
        }
    }
    loom_sim_reset(sim_);
    socket.register_b_transport(this, &Model::b_transport);
    socket.register_transport_dbg(this, &Model::transport_dbg);
    SC_HAS_PROCESS(Model);
    SC_THREAD(events);
}

Model::~Model()
{
    for (auto *o : irq) delete o;
    loom_sim_free(sim_);
}

void Model::on_line(void *opaque, unsigned, bool level)
{
    static_cast<sc_core::sc_out<bool> *>(opaque)->write(level);
}

void Model::access(tlm::tlm_generic_payload &gp, loom_cmd cmd, loom_time delay)
{
    loom_txn t = {};
    t.addr = gp.get_address();
    t.data = gp.get_data_ptr();
    t.len = gp.get_data_length();
    t.cmd = cmd;
    t.delay = delay;
    loom_bus_transport(bus_, &t);
    gp.set_response_status(t.resp == LOOM_RESP_OK ? tlm::TLM_OK_RESPONSE
                           : t.resp == LOOM_RESP_ADDRESS_ERROR ? tlm::TLM_ADDRESS_ERROR_RESPONSE
                                                               : tlm::TLM_GENERIC_ERROR_RESPONSE);
}

// The access at its time: the model's simulation is brought to SystemC's
// time first (its due events fire), the initiator's offset is the delay.
void Model::b_transport(tlm::tlm_generic_payload &gp, sc_core::sc_time &delay)
{
    loom_time now = to_ps(sc_core::sc_time_stamp());
    if (now > loom_sim_now(sim_)) loom_sim_advance_to(sim_, now);
    access(gp, gp.is_write() ? LOOM_WRITE : LOOM_READ, to_ps(delay));
    scheduled_.notify(sc_core::SC_ZERO_TIME);
}

unsigned Model::transport_dbg(tlm::tlm_generic_payload &gp)
{
    access(gp, gp.is_write() ? LOOM_DEBUG_WRITE : LOOM_DEBUG_READ, 0);
    return gp.get_response_status() == tlm::TLM_OK_RESPONSE ? gp.get_data_length() : 0;
}

// The model's own events at their SystemC times.
void Model::events()
{
    for (;;) {
        loom_time next = loom_sim_next_event(sim_), now = to_ps(sc_core::sc_time_stamp());
        if (next == LOOM_TIME_MAX) sc_core::wait(scheduled_);
        else if (next > now)
            sc_core::wait(sc_core::sc_time(static_cast<double>(next - now), sc_core::SC_PS), scheduled_);
        now = to_ps(sc_core::sc_time_stamp());
        if (now > loom_sim_now(sim_)) loom_sim_advance_to(sim_, now);
        else if (next <= now) loom_sim_advance_to(sim_, now); // due now: fire them
    }
}

} // namespace loom
