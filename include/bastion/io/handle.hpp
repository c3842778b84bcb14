#pragma once
/// \file
/// Handle<T>: an owned file or socket whose operations suspend the calling lightproc instead of blocking its worker.
/// Rust: `nuclei::Handle<T>`.

namespace bastion::io {

/// A file or socket of kind `T` (File, TcpListener, TcpStream, UdpSocket, UnixListener, UnixStream, UnixDatagram),
/// owned: the destructor closes it. Move-only. Each kind's operations are declared in its own header.
///
/// Every operation suspends only the calling lightproc while the kernel works (io_uring: the request goes to the
/// worker's ring and completes there; epoll: it waits for readiness), takes a `Timeout` as its last parameter,
/// and returns `io::Result`. A lightproc cancelled during an operation (its actor stopped or killed) has the
/// operation cancelled in the kernel and ends once the kernel has let go of its buffers. Called from a plain thread,
/// an operation blocks that thread.
///
/// One lightproc at a time may read, and one at a time may write, through a handle (like a Rust `&mut`); a
/// listener may be accepted on by several.
template <class T>
class Handle;

}  // namespace bastion::io
