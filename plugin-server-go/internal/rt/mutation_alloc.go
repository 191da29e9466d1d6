package rt

import pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"

// Header mutations are the most common PDK calls. Each is three protobuf objects (the Mutation,
// its oneof wrapper, the HeaderMutation); these make them in one allocation. The objects are
// never copied after construction.

type respHeaderMutation struct {
	m  pb.Mutation
	op pb.Mutation_ResponseHeader
	hm pb.HeaderMutation
}

func newRespHeaderMutation(action pb.HeaderAction, k, v string) *pb.Mutation {
	x := new(respHeaderMutation)
	x.hm.Action, x.hm.Name, x.hm.Value = action, k, v
	x.op.ResponseHeader = &x.hm
	x.m.Op = &x.op
	return &x.m
}

type reqHeaderMutation struct {
	m  pb.Mutation
	op pb.Mutation_RequestHeader
	hm pb.HeaderMutation
}

func newReqHeaderMutation(action pb.HeaderAction, k, v string) *pb.Mutation {
	x := new(reqHeaderMutation)
	x.hm.Action, x.hm.Name, x.hm.Value = action, k, v
	x.op.RequestHeader = &x.hm
	x.m.Op = &x.op
	return &x.m
}
