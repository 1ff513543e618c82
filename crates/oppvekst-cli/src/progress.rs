//! The run's progress as indicatif bars and its messages as printed lines.

use std::sync::{Arc, Mutex};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use oppvekst_release::{FileProgress, Reporter};

/// Bars on the terminal: one through the files of a step, one through each large file.
pub struct Bars {
    multi: MultiProgress,
    step: Mutex<Option<ProgressBar>>,
}

impl Bars {
    /// No bars yet.
    pub fn new() -> Self {
        Bars {
            multi: MultiProgress::new(),
            step: Mutex::new(None),
        }
    }

    fn step(&self) -> Option<ProgressBar> {
        self.step.lock().ok().and_then(|s| s.clone())
    }
}

impl Reporter for Bars {
    fn line(&self, text: &str) {
        match self.step() {
            Some(pb) => pb.suspend(|| println!("{text}")),
            None => println!("{text}"),
        }
    }

    fn begin(&self, what: &str, files: usize) {
        let pb = self.multi.add(ProgressBar::new(files as u64));
        if let Ok(style) = ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} files") {
            pb.set_style(style.progress_chars("=> "));
        }
        pb.set_message(what.to_owned());
        if let Ok(mut s) = self.step.lock() {
            *s = Some(pb);
        }
    }

    fn advance(&self) {
        if let Some(pb) = self.step() {
            pb.inc(1);
        }
    }

    fn end(&self) {
        if let Some(pb) = self.step.lock().ok().and_then(|mut s| s.take()) {
            pb.finish_and_clear();
        }
    }

    fn file(&self, name: &str, bytes: bool) -> Option<FileProgress> {
        let pb = self.multi.add(ProgressBar::new(0));
        let template = if bytes {
            "{msg:>10} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)"
        } else {
            "{msg:>10} [{bar:30}] {human_pos}/{human_len} rows ({per_sec}, {eta} left)"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            pb.set_style(style.progress_chars("=> "));
        }
        let short = name.rsplit(['/', '\\']).next().unwrap_or(name);
        pb.set_message(short.to_owned());
        let bar = pb.clone();
        Some(FileProgress {
            update: Arc::new(move |done, all| {
                bar.set_length(all);
                bar.set_position(done);
            }),
            finish: Box::new(move || pb.finish_and_clear()),
        })
    }
}
