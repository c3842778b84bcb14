#pragma once
/// \file
/// The IO layer: `Handle<T>` for files and sockets on the proactor. Rust: `use nuclei::*`.

#include <bastion/io/backend.hpp>
#include <bastion/io/buffer.hpp>
#include <bastion/io/copy.hpp>
#include <bastion/io/error.hpp>
#include <bastion/io/file.hpp>
#include <bastion/io/handle.hpp>
#include <bastion/io/socket_addr.hpp>
#include <bastion/io/tcp_listener.hpp>
#include <bastion/io/tcp_stream.hpp>
#include <bastion/io/timeout.hpp>
#include <bastion/io/udp_socket.hpp>
#include <bastion/io/unix_datagram.hpp>
#include <bastion/io/unix_listener.hpp>
#include <bastion/io/unix_stream.hpp>
