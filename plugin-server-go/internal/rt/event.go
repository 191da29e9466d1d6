// Package rt is the SDK's per-event runtime: the phase snapshot a handler reads, the ordered
// mutations it produces, the exit flag and lazy fetches. Every PDK module (request, response,
// service/request, ...) is a thin wrapper over an *Event; the server package owns the events
// (one per PhaseCall, pooled) and the test package drives the same code with a fake core.
//
// An Event is used by one goroutine at a time: the goroutine running the phase's handlers.
package rt

import (
	"context"
	"errors"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

// Errors returned by PDK calls.
var (
	// ErrExited: the handler called Response.Exit/ExitStatus; every later PDK call of the handler
	// returns this (go-pdk closed the connection instead).
	ErrExited = errors.New("gantry pdk: response already exited; the handler must return")
	// ErrNoEvent: the PDK was not built by the plugin server (e.g. pdk.Init over a raw conn)
	// and the call has no wire fallback.
	ErrNoEvent = errors.New("gantry pdk: no phase event behind this PDK")
	// ErrCancelled: the core cancelled the phase call (timeout or client gone).
	ErrCancelled = errors.New("gantry pdk: phase call cancelled by the gateway")
	// ErrNotAvailable: the data does not exist in this phase.
	ErrNotAvailable = errors.New("gantry pdk: not available in this phase")
)

// Fetcher answers lazy fetches (one round trip to the core each). Fetch blocks until the result
// arrives or ctx is done.
type Fetcher interface {
	Fetch(ctx context.Context, f *pb.Fetch) (*pb.FetchResult, error)
}

// Event is the state of one PhaseCall while its handlers run.
type Event struct {
	ctx     context.Context
	call    *pb.PhaseCall
	fetcher Fetcher

	instance  uint64 // instance whose handler is running
	instStart int    // index in muts of the running instance's first mutation
	muts      []*pb.Mutation
	exited    bool

	// Caches, valid for this event.
	query    []queryArg
	queryOK  bool
	body     []byte
	bodyOK   bool
	captures *pb.UriCaptures
	route    *pb.Route
	service  *pb.Service
	fetchSeq uint32
}

// Reset prepares e for a new phase call. ctx is cancelled when the core cancels the call.
func (e *Event) Reset(ctx context.Context, call *pb.PhaseCall, f Fetcher) {
	for i := range e.muts {
		e.muts[i] = nil
	}
	*e = Event{ctx: ctx, call: call, fetcher: f, muts: e.muts[:0], query: e.query[:0]}
	if e.call == nil {
		e.call = &pb.PhaseCall{}
	}
	if e.call.Request == nil {
		e.call.Request = &pb.RequestSnapshot{}
	}
}

// Release drops references so a pooled Event does not keep a request alive.
func (e *Event) Release() {
	clear(e.muts)
	*e = Event{muts: e.muts[:0], query: e.query[:0]}
}

// Context is the phase call's context; it is cancelled when the core sends Cancel.
func (e *Event) Context() context.Context {
	if e.ctx == nil {
		return context.Background()
	}
	return e.ctx
}

// Call is the snapshot, updated in place by the mutations applied so far.
func (e *Event) Call() *pb.PhaseCall { return e.call }

// Phase of the call.
func (e *Event) Phase() pb.Phase { return e.call.GetPhase() }

// BeginInstance marks the start of one instance's handler.
func (e *Event) BeginInstance(id uint64) {
	e.instance = id
	e.instStart = len(e.muts)
}

// DropInstanceMutations removes the running instance's mutations except its log lines (used when
// its handler failed: the core never applies half a plugin).
func (e *Event) DropInstanceMutations() {
	kept := e.muts[:e.instStart]
	for _, m := range e.muts[e.instStart:] {
		if _, ok := m.Op.(*pb.Mutation_Log); ok {
			kept = append(kept, m)
		}
	}
	for i := len(kept); i < len(e.muts); i++ {
		e.muts[i] = nil
	}
	e.muts = kept
}

// Mutations produced so far, in order.
func (e *Event) Mutations() []*pb.Mutation { return e.muts }

// Exited reports whether a handler called Exit.
func (e *Event) Exited() bool { return e.exited }

// check is called at the start of every PDK call.
func (e *Event) check() error {
	if e == nil {
		return ErrNoEvent
	}
	if e.exited {
		return ErrExited
	}
	return nil
}

func (e *Event) push(m *pb.Mutation) {
	m.InstanceId = e.instance
	e.muts = append(e.muts, m)
}

func (e *Event) fetch(f *pb.Fetch) (*pb.FetchResult, error) {
	if e.fetcher == nil {
		return nil, ErrNotAvailable
	}
	if err := e.Context().Err(); err != nil {
		return nil, ErrCancelled
	}
	e.fetchSeq++
	f.FetchId = e.fetchSeq
	r, err := e.fetcher.Fetch(e.Context(), f)
	if err != nil {
		if e.Context().Err() != nil {
			return nil, ErrCancelled
		}
		return nil, err
	}
	return r, nil
}
