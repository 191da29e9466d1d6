package node_test

import (
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go/internal/pdktest"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
)

func TestNode_idFetchedOnce(t *testing.T) {
	rt.ResetNodeIDForTest()
	n := 0
	f := pdktest.FetchFunc(func(*pb.Fetch) *pb.FetchResult {
		n++
		return &pb.FetchResult{Result: &pb.FetchResult_NodeId{NodeId: "node-1"}}
	})
	for i := 0; i < 3; i++ {
		k, _ := pdktest.New(pdktest.Request(), f)
		if id, err := k.Node.GetId(); id != "node-1" || err != nil {
			t.Fatal(id, err)
		}
	}
	if n != 1 {
		t.Errorf("%d fetches", n)
	}
	k, _ := pdktest.New(pdktest.Request(), nil)
	if ms, err := k.Node.GetMemoryStats(); err != nil || len(ms.WorkersLuaVms) != 1 {
		t.Error(ms, err)
	}
}
