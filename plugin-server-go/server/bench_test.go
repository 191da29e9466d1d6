package server

import (
	"context"
	"testing"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

func benchCall() *pb.PhaseCall {
	return &pb.PhaseCall{Phase: pb.Phase_PHASE_ACCESS, InstanceIds: []uint64{1, 2},
		Request: &pb.RequestSnapshot{Method: "GET", Host: "example.com", Path: "/",
			Headers: []*pb.Header{{Name: "Host", Value: "example.com"}, {Name: "Accept", Value: "*/*"},
				{Name: "User-Agent", Value: "wrk"}, {Name: "X-A", Value: "1"}}}}
}

// BenchmarkRunPhase: two plugins (hello + see) on one phase call, no transport.
func BenchmarkRunPhase(b *testing.B) {
	p1, _ := newPlugin("hello", func() interface{} { return &helloConf{Message: "hi"} }, "1", 1)
	p2, _ := newPlugin("see", func() interface{} { return seeConf{} }, "1", 1)
	s := newServer("b", []*plugin{p1, p2})
	s.instances.configure(s.plugins, &pb.ConfigureRequest{Instances: []*pb.InstanceConfig{
		{InstanceId: 1, PluginName: "hello"}, {InstanceId: 2, PluginName: "see"}}})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c := benchCall()
		w := getWork()
		w.ev.Reset(context.Background(), c, nil)
		s.runPhase(w, c)
		if w.result.Completed != 2 {
			b.Fatal(w.result)
		}
		putWork(w)
	}
}

// BenchmarkEvents_unixSocket: a Go client playing the core sends batches of 64 phase calls on
// one stream over a unix socket and waits for all replies (events/s = 64 * b.N / elapsed).
func BenchmarkEvents_unixSocket(b *testing.B) {
	_, cl, _ := startBenchServer(b)
	ctx := context.Background()
	if _, err := cl.Configure(ctx, &pb.ConfigureRequest{Instances: []*pb.InstanceConfig{
		{InstanceId: 1, PluginName: "hello", ConfigJson: `{"message":"hi"}`}, {InstanceId: 2, PluginName: "see"}}}); err != nil {
		b.Fatal(err)
	}
	es, err := cl.Events(ctx)
	if err != nil {
		b.Fatal(err)
	}
	const perBatch = 64
	batch := &pb.EventBatch{}
	for i := 0; i < perBatch; i++ {
		batch.Events = append(batch.Events, &pb.Event{RequestId: uint64(i), Seq: 1,
			Kind: &pb.Event_PhaseCall{PhaseCall: benchCall()}})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := es.Send(batch); err != nil {
			b.Fatal(err)
		}
		for got := 0; got < perBatch; {
			r, err := es.Recv()
			if err != nil {
				b.Fatal(err)
			}
			got += len(r.Replies)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*perBatch)/b.Elapsed().Seconds(), "events/s")
	es.CloseSend()
}
