module bastion/peers/go

go 1.19
