package server

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// Flow-control windows the server grants the gateway (see newServer).
const (
	streamWindow = 8 << 20
	connWindow   = 16 << 20
)

// ProtocolVersion is the Gantry plugin protocol version this SDK speaks.
const ProtocolVersion = 1

// Server serves the PluginServer gRPC service for a set of plugins.
type Server struct {
	pb.UnimplementedPluginServerServer
	name      string
	plugins   map[string]*plugin
	order     []*plugin
	instances instanceTable
	logPanics bool

	grpc   *grpc.Server
	health *health.Server

	shutdownOnce sync.Once
	done         chan struct{} // closed when the server has stopped
	// exitHook runs after a Shutdown RPC stopped the server (tests replace it).
	exitHook func()
}

func newServer(name string, plugins []*plugin) *Server {
	s := &Server{name: name, plugins: map[string]*plugin{}, order: plugins, logPanics: true, done: make(chan struct{})}
	for _, p := range plugins {
		s.plugins[p.name] = p
	}
	s.grpc = grpc.NewServer(
		grpc.MaxRecvMsgSize(256<<20),
		grpc.MaxSendMsgSize(256<<20),
		// Static flow-control windows: with grpc-go's default dynamic window every received
		// EventBatch costs a WINDOW_UPDATE plus a BDP ping (two extra frames written, one read,
		// and a wake of the transport's writer). With large static windows the server sends a
		// WINDOW_UPDATE only after a quarter of the window was consumed.
		grpc.StaticStreamWindowSize(streamWindow),
		grpc.StaticConnWindowSize(connWindow),
		grpc.ForceServerCodecV2(newCodec()),
	)
	pb.RegisterPluginServerServer(s.grpc, s)
	s.health = health.NewServer()
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	s.health.SetServingStatus(pb.PluginServer_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(s.grpc, s.health)
	return s
}

// GetInfo: handshake (step 2).
func (s *Server) GetInfo(_ context.Context, req *pb.GetInfoRequest) (*pb.GetInfoResponse, error) {
	if !slices.Contains(req.ProtocolVersions, ProtocolVersion) {
		return nil, status.Errorf(codes.FailedPrecondition,
			"plugin server %q speaks protocol version %d; the gateway offered %v", s.name, ProtocolVersion, req.ProtocolVersions)
	}
	resp := &pb.GetInfoResponse{ProtocolVersion: ProtocolVersion, ServerName: s.name}
	for _, p := range s.order {
		resp.Plugins = append(resp.Plugins, &pb.PluginInfo{
			Name: p.name, Version: p.version, Priority: int32(p.priority),
			Phases: p.phases, SchemaJson: string(mustJSON(p.schema)), BodyPhases: p.bodyPhases,
		})
	}
	return resp, nil
}

// Configure: instances (step 3).
func (s *Server) Configure(_ context.Context, req *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	return s.instances.configure(s.plugins, req), nil
}

// Events: the multiplexed event stream (step 4).
func (s *Server) Events(gs grpc.BidiStreamingServer[pb.EventBatch, pb.ReplyBatch]) error {
	return s.serveEvents(gs)
}

// Shutdown: finish work in flight within the grace period, then stop (step 6).
func (s *Server) Shutdown(_ context.Context, req *pb.ShutdownRequest) (*pb.ShutdownResponse, error) {
	grace := time.Duration(req.GracePeriodMs) * time.Millisecond
	go func() {
		s.stop(grace)
		if s.exitHook != nil {
			s.exitHook()
		}
	}()
	return &pb.ShutdownResponse{}, nil
}

// stop stops gracefully (streams end when the gateway half-closes them) and forcibly after grace.
func (s *Server) stop(grace time.Duration) {
	s.shutdownOnce.Do(func() {
		s.health.Shutdown()
		stopped := make(chan struct{})
		go func() { s.grpc.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(grace):
			s.grpc.Stop()
			<-stopped
		}
		close(s.done)
	})
}

func logf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}
