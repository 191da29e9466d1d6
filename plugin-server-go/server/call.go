package server

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
)

type callKey struct {
	rid uint64
	seq uint32
}

// call is one PhaseCall in flight. It is also the call's context.Context (what handlers get from
// kong.Context()): values and deadline come from the stream's context; it is cancelled by the
// gateway's Cancel, by the stream failing (stream.cancelAll) and when the call has answered.
// Unlike context.WithCancel it costs no allocation besides the call itself and no registration
// with the parent; the Done channel is only made if someone asks for it.
//
// A call is never reused: a handler may keep its context after returning.
type call struct {
	key callKey
	s   *stream

	cancelled atomic.Bool
	mu        sync.Mutex
	done      chan struct{} // made on first Done(); closed by cancel

	// fetchCh receives the FetchResult of the fetch in flight; made by the first Fetch and only
	// touched under s.mu by the receive loop.
	fetchCh chan *pb.FetchResult
}

var closedDone = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (c *call) Deadline() (time.Time, bool) { return c.s.ctx.Deadline() }
func (c *call) Value(key any) any           { return c.s.ctx.Value(key) }

func (c *call) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		if c.cancelled.Load() {
			c.done = closedDone
		} else {
			c.done = make(chan struct{})
		}
	}
	return c.done
}

func (c *call) Err() error {
	if c.cancelled.Load() {
		return context.Canceled
	}
	return nil
}

// cancel cancels the call's context (idempotent).
func (c *call) cancel() {
	c.mu.Lock()
	if !c.cancelled.Load() {
		c.cancelled.Store(true)
		if c.done != nil {
			close(c.done)
		}
	}
	c.mu.Unlock()
}

// Fetch sends a Fetch reply and waits for its FetchResult (rt.Fetcher).
func (c *call) Fetch(ctx context.Context, f *pb.Fetch) (*pb.FetchResult, error) {
	st := c.s
	st.mu.Lock()
	if c.fetchCh == nil {
		c.fetchCh = make(chan *pb.FetchResult, 1)
	}
	ch := c.fetchCh
	st.mu.Unlock()
	st.push(&pb.Reply{RequestId: c.key.rid, Seq: c.key.seq, Kind: &pb.Reply_Fetch{Fetch: f}}, nil)
	for {
		select {
		case r := <-ch:
			if r.FetchId == f.FetchId {
				return r, nil
			}
			// A stale answer to an earlier fetch: keep waiting.
		case <-ctx.Done():
			return nil, rt.ErrCancelled
		case <-st.closing:
			// The gateway half-closed the stream: no FetchResult can come any more.
			return nil, errStreamClosed
		}
	}
}

var errStreamClosed = errors.New("gantry pdk: the gateway closed the event stream; fetch not possible")
