package server

// The Events stream (one per gateway worker, typically).
//
//   receive loop ──PhaseCall──▶ a worker goroutine per call: runs the instances in order
//        │                          │ Fetch: push a Reply, block on call.fetchCh
//        ├──FetchResult──▶ call.fetchCh (matched by request_id, seq, fetch_id)
//        └──Cancel───────▶ call.cancel() (the call's context; a blocked fetch returns)
//
//   every goroutine ──push(Reply)──▶ outbox ──▶ gs.Send by whichever pusher found no Send in
//                                               progress (send.go)
//
// Workers are goroutines that park after a call and take the next one (up to maxIdleWorkers per
// stream), so a call neither starts a goroutine nor regrows its stack. Every call still runs on
// a goroutine of its own: a slow or blocking handler never delays another call.

import (
	"context"
	"io"
	"sync"
	"sync/atomic"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"google.golang.org/grpc"
)

// maxIdleWorkers caps the parked worker goroutines kept per stream; a worker finishing a call
// while this many are parked exits.
const maxIdleWorkers = 256

type stream struct {
	srv *Server
	gs  grpc.BidiStreamingServer[pb.EventBatch, pb.ReplyBatch]
	ctx context.Context

	mu    sync.Mutex
	calls map[callKey]*call
	idle  []*worker // parked workers, most recently parked last
	ended bool      // the stream is over: workers exit instead of parking

	// queued counts PhaseCalls handed to a worker whose handlers have not started yet: the
	// sender lets them run first so their replies join its message (send.go).
	queued   atomic.Int32
	inflight sync.WaitGroup
	closing  chan struct{} // closed when the gateway half-closed the stream

	outbox
}

// job is one PhaseCall for a worker.
type job struct {
	c  *call
	pc *pb.PhaseCall
}

type worker struct {
	jobs chan job // buffered (1): dispatch never blocks
}

func newStream(s *Server, gs grpc.BidiStreamingServer[pb.EventBatch, pb.ReplyBatch], ctx context.Context) *stream {
	return &stream{srv: s, gs: gs, ctx: ctx, calls: map[callKey]*call{}, closing: make(chan struct{}),
		outbox: outbox{batch: &pb.ReplyBatch{}}}
}

func (s *Server) serveEvents(gs grpc.BidiStreamingServer[pb.EventBatch, pb.ReplyBatch]) error {
	ctx, cancel := context.WithCancel(gs.Context())
	defer cancel()
	st := newStream(s, gs, ctx)
	defer st.stopWorkers()

	var recvErr error
	for {
		batch, err := gs.Recv()
		if err == io.EOF {
			break // clean half-close: answer what is pending, then finish with OK
		}
		if err != nil {
			recvErr = err
			break
		}
		for _, ev := range batch.Events {
			st.dispatch(ev)
		}
	}
	if recvErr != nil {
		cancel() // fail every call in flight; handlers see a cancelled context
		st.cancelAll()
		st.breakOutbox() // replies not sent yet are dropped; no Send after we return
		return recvErr
	}
	close(st.closing)
	st.inflight.Wait() // every call has pushed its reply, and the last pusher has sent it
	return st.finish()
}

func (st *stream) dispatch(ev *pb.Event) {
	key := callKey{ev.RequestId, ev.Seq}
	switch k := ev.Kind.(type) {
	case *pb.Event_PhaseCall:
		c := &call{key: key, s: st}
		st.mu.Lock()
		if _, dup := st.calls[key]; dup {
			st.mu.Unlock()
			return // the same (request_id, seq) twice: the first one answers
		}
		st.calls[key] = c
		var w *worker
		if n := len(st.idle); n > 0 {
			w = st.idle[n-1]
			st.idle[n-1] = nil
			st.idle = st.idle[:n-1]
		}
		st.mu.Unlock()
		st.inflight.Add(1)
		st.queued.Add(1)
		if w != nil {
			w.jobs <- job{c, k.PhaseCall}
		} else {
			go st.work(&worker{jobs: make(chan job, 1)}, c, k.PhaseCall)
		}
	case *pb.Event_FetchResult:
		st.mu.Lock()
		if c := st.calls[key]; c != nil && c.fetchCh != nil && k.FetchResult != nil {
			select {
			case c.fetchCh <- k.FetchResult:
			default: // nobody waiting for it (duplicate); drop
			}
		}
		st.mu.Unlock()
	case *pb.Event_Cancel:
		st.mu.Lock()
		c := st.calls[key]
		st.mu.Unlock()
		if c != nil {
			c.cancel()
		}
	}
}

func (st *stream) cancelAll() {
	st.mu.Lock()
	for _, c := range st.calls {
		c.cancel()
	}
	st.mu.Unlock()
}

// work runs calls: the first one given, then whatever dispatch hands it while it is parked.
func (st *stream) work(w *worker, c *call, pc *pb.PhaseCall) {
	for {
		st.run(c, pc)
		st.mu.Lock()
		if st.ended || len(st.idle) >= maxIdleWorkers {
			st.mu.Unlock()
			return
		}
		st.idle = append(st.idle, w)
		st.mu.Unlock()
		j, ok := <-w.jobs
		if !ok {
			return
		}
		c, pc = j.c, j.pc
	}
}

// stopWorkers makes parked workers exit, and busy ones exit after their call.
func (st *stream) stopWorkers() {
	st.mu.Lock()
	st.ended = true
	for i, w := range st.idle {
		close(w.jobs)
		st.idle[i] = nil
	}
	st.idle = nil
	st.mu.Unlock()
}

// run executes one PhaseCall and queues its PhaseResult.
func (st *stream) run(c *call, pc *pb.PhaseCall) {
	st.queued.Add(-1)
	w := getWork()
	w.ev.Reset(c, pc, c)
	st.srv.runPhase(w, pc)
	st.mu.Lock()
	delete(st.calls, c.key)
	st.mu.Unlock()
	c.cancel()
	w.reply.RequestId, w.reply.Seq = c.key.rid, c.key.seq
	st.push(w.reply, w)
	st.inflight.Done()
}
