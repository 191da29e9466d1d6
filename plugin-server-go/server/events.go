package server

// The Events stream (one per gateway worker, typically).
//
//   receive loop ──PhaseCall──▶ one goroutine per call: runs the instances in order
//        │                          │ Fetch: push a Reply, block on call.fetchCh
//        ├──FetchResult──▶ call.fetchCh (matched by request_id, seq, fetch_id)
//        └──Cancel───────▶ call.cancel() (the call's context; a blocked fetch returns)
//
//   every goroutine ──push(Reply)──▶ outbox ──▶ one writer goroutine
//
// The writer owns Send (gRPC allows one write at a time on a stream). It wakes when the outbox
// becomes non-empty and packs everything pending into one ReplyBatch (at most maxBatch replies
// per message, so the gateway can start decoding while the server keeps working). With one
// request in flight nothing waits: the reply is sent as soon as it is pushed. Under load,
// replies that arrive while a Send is in progress form the next batch.

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
	"google.golang.org/grpc"
)

// maxBatch caps replies per ReplyBatch message.
const maxBatch = 128

type callKey struct {
	rid uint64
	seq uint32
}

// call is one PhaseCall in flight.
type call struct {
	key     callKey
	ctx     context.Context
	cancel  context.CancelFunc
	fetchCh chan *pb.FetchResult
	s       *stream
}

// Fetch sends a Fetch reply and waits for its FetchResult (rt.Fetcher).
func (c *call) Fetch(ctx context.Context, f *pb.Fetch) (*pb.FetchResult, error) {
	c.s.push(&pb.Reply{RequestId: c.key.rid, Seq: c.key.seq, Kind: &pb.Reply_Fetch{Fetch: f}}, nil)
	for {
		select {
		case r := <-c.fetchCh:
			if r.FetchId == f.FetchId {
				return r, nil
			}
			// A stale answer to an earlier fetch: keep waiting.
		case <-ctx.Done():
			return nil, rt.ErrCancelled
		case <-c.s.closing:
			// The gateway half-closed the stream: no FetchResult can come any more.
			return nil, errStreamClosed
		}
	}
}

var errStreamClosed = errors.New("gantry pdk: the gateway closed the event stream; fetch not possible")

type stream struct {
	srv *Server
	gs  grpc.BidiStreamingServer[pb.EventBatch, pb.ReplyBatch]
	ctx context.Context

	mu    sync.Mutex
	calls map[callKey]*call

	outMu    sync.Mutex
	out      []outItem
	spare    []outItem
	wake     chan struct{}
	broken   bool
	inflight sync.WaitGroup
	closing  chan struct{} // closed when the gateway half-closed the stream
}

// outItem is a reply and the pooled work to recycle once it is sent.
type outItem struct {
	reply *pb.Reply
	w     *work
}

func (s *Server) serveEvents(gs grpc.BidiStreamingServer[pb.EventBatch, pb.ReplyBatch]) error {
	ctx, cancel := context.WithCancel(gs.Context())
	defer cancel()
	st := &stream{srv: s, gs: gs, ctx: ctx, calls: map[callKey]*call{}, wake: make(chan struct{}, 1),
		closing: make(chan struct{})}
	writerDone := make(chan error, 1)
	stopWriter := make(chan struct{})
	go func() { writerDone <- st.writer(stopWriter) }()

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
		close(stopWriter)
		<-writerDone
		return recvErr
	}
	close(st.closing)
	st.inflight.Wait()
	close(stopWriter)
	return <-writerDone
}

func (st *stream) dispatch(ev *pb.Event) {
	key := callKey{ev.RequestId, ev.Seq}
	switch k := ev.Kind.(type) {
	case *pb.Event_PhaseCall:
		cctx, cancel := context.WithCancel(st.ctx)
		c := &call{key: key, ctx: cctx, cancel: cancel, fetchCh: make(chan *pb.FetchResult, 1), s: st}
		st.mu.Lock()
		if _, dup := st.calls[key]; dup {
			st.mu.Unlock()
			cancel()
			return // the same (request_id, seq) twice: the first one answers
		}
		st.calls[key] = c
		st.mu.Unlock()
		st.inflight.Add(1)
		go st.run(c, k.PhaseCall)
	case *pb.Event_FetchResult:
		st.mu.Lock()
		c := st.calls[key]
		st.mu.Unlock()
		if c != nil && k.FetchResult != nil {
			select {
			case c.fetchCh <- k.FetchResult:
			default: // nobody waiting for it (duplicate); drop
			}
		}
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

// run executes one PhaseCall and queues its PhaseResult.
func (st *stream) run(c *call, pc *pb.PhaseCall) {
	defer st.inflight.Done()
	w := getWork()
	w.ev.Reset(c.ctx, pc, c)
	st.srv.runPhase(w, pc)
	st.mu.Lock()
	delete(st.calls, c.key)
	st.mu.Unlock()
	c.cancel()
	w.reply.RequestId, w.reply.Seq = c.key.rid, c.key.seq
	st.push(w.reply, w)
}

// push queues a reply for the writer.
func (st *stream) push(r *pb.Reply, w *work) {
	st.outMu.Lock()
	if st.broken {
		st.outMu.Unlock()
		if w != nil {
			putWork(w)
		}
		return
	}
	st.out = append(st.out, outItem{r, w})
	st.outMu.Unlock()
	select {
	case st.wake <- struct{}{}:
	default:
	}
}

// writer sends everything pending, one Send at a time, until stop is closed and the outbox is
// empty.
func (st *stream) writer(stop <-chan struct{}) error {
	batch := &pb.ReplyBatch{}
	for {
		select {
		case <-st.wake:
		case <-stop:
			st.outMu.Lock()
			empty := len(st.out) == 0
			st.outMu.Unlock()
			if empty {
				return nil
			}
		}
		// Let runnable handler goroutines (e.g. the rest of a batch that arrived together) push
		// their replies first; costs nothing when nothing else is runnable.
		runtime.Gosched()
		st.outMu.Lock()
		items := st.out
		st.out, st.spare = st.spare, nil
		st.outMu.Unlock()

		var err error
		for i := 0; i < len(items) && err == nil; i += maxBatch {
			end := min(i+maxBatch, len(items))
			batch.Replies = batch.Replies[:0]
			for _, it := range items[i:end] {
				batch.Replies = append(batch.Replies, it.reply)
			}
			err = st.gs.Send(batch)
		}
		for i := range batch.Replies {
			batch.Replies[i] = nil
		}
		for i, it := range items {
			if it.w != nil {
				putWork(it.w)
			}
			items[i] = outItem{}
		}
		st.outMu.Lock()
		if st.spare == nil {
			st.spare = items[:0]
		}
		if err != nil {
			st.broken = true
			for _, it := range st.out {
				if it.w != nil {
					putWork(it.w)
				}
			}
			st.out = nil
		}
		st.outMu.Unlock()
		if err != nil {
			st.cancelAll()
			return err
		}
	}
}
