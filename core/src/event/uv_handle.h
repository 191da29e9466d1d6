#pragma once

// The one rule for libuv handles in Gantry (STYLE point 18, libuv design.rst):
//
//   * Every uv handle lives in a heap-allocated HandleBox together with a back pointer to the one
//     C++ object that owns it.
//   * Only the owner closes it, with closeBox(), exactly once (from its destructor or when it
//     closes early). closeBox() nulls the back pointer and calls uv_close; the box is deleted in
//     the close callback, never anywhere else.
//   * Every libuv callback finds the box through handle->data and does nothing when
//     box->owner is null. An owner may therefore be destroyed at any time, even inside one of its
//     own callbacks; after calling user code, a callback re-checks box->owner before touching the
//     owner again (the box itself stays valid until the close callback, which libuv runs only
//     after the current callback returns).
//
// Requests (uv_write_t, uv_connect_t, uv_getaddrinfo_t, uv_shutdown_t) are heap structs of their
// own, freed in their completion callback, which libuv always calls (with UV_ECANCELED when the
// handle was closed first).

#include <uv.h>

namespace gateway::event {

template <typename Handle, typename Owner> struct HandleBox {
  Handle handle{};
  Owner* owner{nullptr};

  explicit HandleBox(Owner* o) : owner(o) {}
  // Call right after the uv_*_init of `handle` succeeded.
  void bind() { handle.data = this; }
  uv_handle_t* raw() { return reinterpret_cast<uv_handle_t*>(&handle); }
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&handle); }
  template <typename H> static HandleBox* from(H* h) { return static_cast<HandleBox*>(h->data); }
};

// Detaches the owner and closes the handle; the box is deleted in the close callback. `box` must
// have been initialised (bind() called) and not closed before.
template <typename Box> void closeBox(Box* box) {
  box->owner = nullptr;
  if (uv_is_closing(box->raw()) == 0) {
    uv_close(box->raw(), [](uv_handle_t* h) { delete static_cast<Box*>(h->data); });
  }
}

} // namespace gateway::event
