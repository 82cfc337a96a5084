//! The Unix-socket server of `--input-ipc-server`: one task per client, each running a
//! [`protocol::Client`] against the shared state and the [`Controller`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use super::protocol::{self, Action, Client};
use crate::control::{CommandError, Controller};
use crate::state::{EndFileReason, Notice};

/// How long [`IpcServer::shutdown`] waits for clients to receive the last events.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// A listening IPC socket and its clients.
pub struct IpcServer {
    path: PathBuf,
    controller: Controller,
    accept: JoinHandle<()>,
    clients: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl IpcServer {
    /// Listens on `path` (a stale socket file there is replaced; any other file is an
    /// error). Call from inside a tokio runtime.
    pub fn start(path: &Path, controller: Controller) -> std::io::Result<IpcServer> {
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            use std::os::unix::fs::FileTypeExt;
            if !meta.file_type().is_socket() {
                return Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "exists and is not a socket"));
            }
            std::fs::remove_file(path)?;
        }
        let listener = UnixListener::bind(path)?;
        let clients: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = tokio::spawn({
            let (controller, clients) = (controller.clone(), clients.clone());
            async move {
                let mut n = 0u64;
                loop {
                    match listener.accept().await {
                        Ok((stream, _)) => {
                            let name = format!("ipc-{n}");
                            n += 1;
                            tracing::debug!("IPC client {name} connected");
                            let task = tokio::spawn(serve(stream, Client::new(name), controller.clone()));
                            let mut clients = clients.lock().unwrap_or_else(|e| e.into_inner());
                            clients.retain(|t| !t.is_finished());
                            clients.push(task);
                        }
                        Err(e) => {
                            tracing::warn!("IPC socket: {e}");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
            }
        });
        Ok(IpcServer { path: path.to_path_buf(), controller, accept, clients })
    }

    /// Sends `end-file` (with `reason`) and `shutdown` to every client, waits (up to 2 s)
    /// for them to be written, closes the connections and removes the socket.
    pub async fn shutdown(self, reason: EndFileReason) {
        self.accept.abort();
        let state = self.controller.state();
        state.notify(Notice::EndFile(reason));
        state.notify(Notice::Shutdown);
        let clients = std::mem::take(&mut *self.clients.lock().unwrap_or_else(|e| e.into_inner()));
        let deadline = tokio::time::Instant::now() + FLUSH_TIMEOUT;
        for mut task in clients {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                task.abort(); // not reading its socket
            }
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// One client: lines in, replies, events and property changes out, until it hangs up or
/// the player shuts down.
async fn serve(stream: UnixStream, mut client: Client, controller: Controller) {
    let state = controller.state().clone();
    // Subscribed before anything is read, so no notice after the connection is missed.
    let mut notices = state.notices();
    let mut changed = state.watch();
    let (mut rd, wr) = stream.into_split();
    let mut wr = BufWriter::new(wr);
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 8192];
    let result: std::io::Result<()> = async {
        loop {
            tokio::select! {
                n = rd.read(&mut buf) => {
                    let n = n?;
                    // At the end of the input (a hang-up, or `socat` half-closing after
                    // its stdin ended) the lines received are still answered, then the
                    // connection closes, as mpv does.
                    let end = n == 0;
                    if end && !pending.is_empty() {
                        pending.push(b'\n');
                    }
                    pending.extend_from_slice(&buf[..n]);
                    while let Some(i) = pending.iter().position(|&b| b == b'\n') {
                        let line: Vec<u8> = pending.drain(..=i).collect();
                        let line = String::from_utf8_lossy(&line[..i]).into_owned();
                        let action = client.handle_line(&line, &state.snapshot());
                        match action {
                            Action::Nothing => {}
                            Action::Reply(r) => wr.write_all(r.as_bytes()).await?,
                            Action::Run { command, request_id } => {
                                let c = controller.clone();
                                let result = tokio::task::spawn_blocking(move || c.apply(command))
                                    .await
                                    .unwrap_or_else(|e| Err(CommandError::Failed(format!("command failed: {e}"))));
                                match request_id {
                                    Some(id) => wr.write_all(protocol::reply(&id, result.map(|()| None)).as_bytes()).await?,
                                    None => {
                                        if let Err(e) = result {
                                            tracing::warn!("text command {line:?}: {e}");
                                        }
                                    }
                                }
                            }
                        }
                        for l in client.changes(&state.snapshot()) {
                            wr.write_all(l.as_bytes()).await?;
                        }
                    }
                    if pending.len() > protocol::MAX_LINE {
                        wr.write_all(protocol::reply(&serde_json::json!(0), Err(CommandError::InvalidParameter("line too long".into()))).as_bytes()).await?;
                        wr.flush().await?;
                        return Ok(());
                    }
                    wr.flush().await?;
                    if end {
                        return Ok(());
                    }
                }
                r = changed.changed() => {
                    if r.is_err() {
                        return Ok(());
                    }
                    for l in client.changes(&state.snapshot()) {
                        wr.write_all(l.as_bytes()).await?;
                    }
                    wr.flush().await?;
                }
                n = notices.recv() => {
                    match n {
                        Ok(notice) => {
                            // Property values first: a `playback-restart` reader then
                            // finds time-pos already at the new position.
                            for l in client.changes(&state.snapshot()) {
                                wr.write_all(l.as_bytes()).await?;
                            }
                            if let Some(l) = client.event(&notice) {
                                wr.write_all(l.as_bytes()).await?;
                            }
                            wr.flush().await?;
                            if notice == Notice::Shutdown {
                                return Ok(());
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => return Ok(()),
                    }
                }
            }
        }
    }
    .await;
    if let Err(e) = result {
        tracing::debug!("IPC client: {e}");
    }
    let _ = wr.shutdown().await;
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncBufReadExt, BufReader};

    use super::*;
    use crate::control::Frontend;
    use crate::state::PlayerState;

    struct NoScreen;
    impl Frontend for NoScreen {
        fn screenshot(&self, _: &Path) -> Result<(), String> {
            Err("no picture".into())
        }
    }

    #[tokio::test]
    async fn clients_get_replies_events_and_a_shutdown() {
        let dir = std::env::temp_dir().join(format!("smoothplay-ipc-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sock");
        let state = PlayerState::new();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let server = IpcServer::start(&path, Controller::new(state.clone(), tx, Arc::new(NoScreen))).unwrap();

        let mut a = BufReader::new(UnixStream::connect(&path).await.unwrap());
        let mut b = BufReader::new(UnixStream::connect(&path).await.unwrap());
        let mut line = String::new();
        a.get_mut().write_all(b"{\"command\":[\"set_property\",\"pause\",true],\"request_id\":1}\n").await.unwrap();
        a.read_line(&mut line).await.unwrap();
        assert_eq!(serde_json::from_str::<serde_json::Value>(&line).unwrap(), serde_json::json!({"error": "success", "request_id": 1}));
        assert_eq!(rx.recv().await, Some(smoothplay_engine::session::Command::Pause));

        line.clear();
        b.get_mut().write_all(b"{\"command\":[\"get_property\",\"pause\"]}\n").await.unwrap();
        b.read_line(&mut line).await.unwrap();
        assert_eq!(serde_json::from_str::<serde_json::Value>(&line).unwrap()["data"], true);

        line.clear();
        b.get_mut().write_all(b"{\"command\":[\"screenshot-to-file\",\"/nonexistent/x.png\"],\"request_id\":2}\n").await.unwrap();
        b.read_line(&mut line).await.unwrap();
        assert_eq!(serde_json::from_str::<serde_json::Value>(&line).unwrap()["error"], "error running command");

        // A one-shot client (`echo ... | socat - PATH`): its input ends, the reply still
        // comes, then the connection closes.
        let mut once = UnixStream::connect(&path).await.unwrap();
        once.write_all(b"{\"command\":[\"get_property\",\"volume\"]}").await.unwrap();
        once.shutdown().await.unwrap();
        let mut all = String::new();
        once.read_to_string(&mut all).await.unwrap();
        assert_eq!(all, "{\"data\":100.0,\"error\":\"success\",\"request_id\":0}\n");

        server.shutdown(EndFileReason::Quit).await;
        let mut rest = String::new();
        a.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "{\"event\":\"end-file\",\"reason\":\"quit\"}\n{\"event\":\"shutdown\"}\n");
        assert!(!path.exists(), "the socket is removed");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
