//! A PulseAudio daemon with one null sink (`test_sink`, 48 kHz), private to a test:
//! started in a 0700 runtime directory, killed on drop.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Pulse {
    /// `PULSE_SERVER` for clients (`unix:...`).
    pub server: String,
    pid_file: PathBuf,
}

impl Pulse {
    /// Starts the daemon with `run` (created, mode 0700) as its XDG_RUNTIME_DIR and `home`
    /// as HOME; waits for its socket, 20 s at most for each step.
    pub fn start(run: &Path, home: &Path) -> Pulse {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(run).unwrap();
        std::fs::set_permissions(run, std::fs::Permissions::from_mode(0o700)).unwrap();
        let pulse = Pulse { server: format!("unix:{}", run.join("pulse/native").display()), pid_file: run.join("pulse/pid") };
        let mut child = Command::new("pulseaudio")
            .args(["-n", "--daemonize=yes", "--exit-idle-time=-1", "--load=module-native-protocol-unix", "--load=module-null-sink sink_name=test_sink rate=48000"])
            .env("XDG_RUNTIME_DIR", run)
            .env("HOME", home)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run pulseaudio");
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("pulseaudio did not daemonize within 20 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "pulseaudio did not start: {status}");
        let socket = run.join("pulse/native");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "no PulseAudio socket at {}", socket.display());
            std::thread::sleep(Duration::from_millis(50));
        }
        pulse
    }
}

impl Drop for Pulse {
    fn drop(&mut self) {
        if let Some(pid) = std::fs::read_to_string(&self.pid_file).ok().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()) {
            let _ = Command::new("kill").arg(&pid).status();
        }
    }
}
