//! Requests answered together by a few threads. Under a flood, the fixed cost of a statement (a
//! hand-off to a blocking thread, a round trip, a commit) outweighs the rows it touches; each thread
//! here takes whatever requests are waiting — no added delay: one waiting request goes alone —
//! and answers them with one piece of work.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

type Pending<Req, Resp> = (Req, oneshot::Sender<Resp>);

/// The queue in front of the threads. The threads end when the last handle is dropped.
pub struct Gathered<Req, Resp> {
    name: &'static str,
    queue: Sender<Pending<Req, Resp>>,
}

impl<Req, Resp> Clone for Gathered<Req, Resp> {
    fn clone(&self) -> Self {
        Self { name: self.name, queue: self.queue.clone() }
    }
}

impl<Req: Send + 'static, Resp: Send + 'static> Gathered<Req, Resp> {
    /// `threads` threads named `name-n`, each answering up to `max` requests at a time with
    /// `work`, which answers each request in order. When it fails (or panics), every request of
    /// the batch gets `failed(error)`. Batch sizes are recorded in the histogram `metric`.
    pub fn start<W, F>(name: &'static str, metric: &'static str, threads: usize, max: usize, work: W, failed: F) -> Self
    where
        W: Fn(&[Req]) -> anyhow::Result<Vec<Resp>> + Send + Sync + 'static,
        F: Fn(&anyhow::Error) -> Resp + Send + Sync + 'static,
    {
        let (queue, waiting) = mpsc::channel();
        let waiting = Arc::new(Mutex::new(waiting));
        let work = Arc::new((work, failed));
        for n in 0..threads.max(1) {
            let (waiting, work) = (waiting.clone(), work.clone());
            std::thread::Builder::new()
                .name(format!("{name}-{n}"))
                .spawn(move || loop {
                    let Some(batch) = take(&waiting, max) else { return };
                    let (requests, replies): (Vec<Req>, Vec<oneshot::Sender<Resp>>) = batch.into_iter().unzip();
                    metrics::histogram!(metric).record(requests.len() as f64);
                    // A panic must not take the thread (and with the last one, every request)
                    // down with it.
                    let answered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (work.0)(&requests)))
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("{name} panicked")));
                    match answered {
                        Ok(answers) if answers.len() == replies.len() => {
                            for (reply, answer) in replies.into_iter().zip(answers) {
                                let _ = reply.send(answer);
                            }
                        }
                        Ok(_) => fail(&work.1, replies, &anyhow::anyhow!("{name} answered a batch short")),
                        Err(e) => {
                            tracing::warn!(error = format!("{e:#}"), requests = requests.len(), "{name}: batch failed");
                            fail(&work.1, replies, &e)
                        }
                    }
                })
                .unwrap_or_else(|e| panic!("a {name} thread starts: {e}"));
        }
        Self { name, queue }
    }

    pub async fn ask(&self, request: Req) -> anyhow::Result<Resp> {
        let (reply, answer) = oneshot::channel();
        let name = self.name;
        self.queue.send((request, reply)).map_err(|_| anyhow::anyhow!("{name} stopped"))?;
        answer.await.map_err(|_| anyhow::anyhow!("{name} gave no answer"))
    }
}

/// The first request to come, and whatever else is already waiting, up to `max`; `None` once
/// every handle is gone.
fn take<T>(waiting: &Mutex<Receiver<T>>, max: usize) -> Option<Vec<T>> {
    let queue = waiting.lock().unwrap_or_else(|p| p.into_inner());
    let mut batch = vec![queue.recv().ok()?];
    while batch.len() < max {
        match queue.try_recv() {
            Ok(next) => batch.push(next),
            Err(_) => break,
        }
    }
    Some(batch)
}

fn fail<Resp>(failed: &impl Fn(&anyhow::Error) -> Resp, replies: Vec<oneshot::Sender<Resp>>, e: &anyhow::Error) {
    for reply in replies {
        let _ = reply.send(failed(e));
    }
}
