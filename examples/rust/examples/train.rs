//! Train the tutorial's one-layer model on a tiny synthetic dataset, predict, save, load.
//!
//!     LIBREC_LIB_DIR=../../build/lib cargo run --offline --example train
//!
//! Introduces: Dataset::new + add_strings/add_numbers, Model::preset, Model::build,
//! Model::fit_with, Model::predict, Model::save / Model::load, RecError.
use librec::{Dataset, Model, Optimizer, Preset, RecError};

/// Ratings from a hidden rank-1 model: user u likes title t by (u − 2)(t − 2) / 4.
fn synthetic(rows: usize) -> Result<Dataset, RecError> {
    let (mut users, mut titles, mut times, mut ratings) = (vec![], vec![], vec![], vec![]);
    for r in 0..rows {
        let (u, t) = (r % 5, (r * 7 + r / 5) % 5);
        users.push(format!("user{u}"));
        titles.push(format!("Movie {t} (199{t})"));
        times.push(880_000_000.0 + 3600.0 * r as f64);
        ratings.push(3.0 + (u as f64 - 2.0) * (t as f64 - 2.0) / 4.0);
    }
    let mut ds = Dataset::new(rows)?;
    ds.add_strings("user_id", &users)?;
    ds.add_strings("movie_title", &titles)?;
    ds.add_numbers("timestamp", &times)?;
    ds.add_numbers("user_rating", &ratings)?;
    Ok(ds)
}

fn run() -> Result<(), RecError> {
    println!("librec {}", librec::version_string());
    let ds = synthetic(200)?;
    let mut model = Model::preset(Preset::OneLayer, 42)?;
    model.build(&ds)?;
    let mut opt = Optimizer::adagrad(0.1)?;
    model.fit_with(&mut opt, &ds, None, 30, 16, 64, |s| {
        if s.epoch % 10 == 0 {
            println!("epoch {:2}: loss {:.4} rmse {:.4}", s.epoch, s.loss, s.rmse);
        }
        false
    })?;
    let (rmse, _) = model.evaluate(&ds, 64)?;
    let pred = model.predict(&ds)?;
    for (r, p) in pred.iter().take(5).enumerate() {
        println!("user{} × Movie {}: predicted {:.2}", r % 5, (r * 7 + r / 5) % 5, p);
    }
    let path = std::env::temp_dir().join(format!("librec-rust-example-{}.rec", std::process::id()));
    model.save(&path, false)?;
    let loaded = Model::load(&path)?;
    std::fs::remove_file(&path).ok();
    assert_eq!(loaded.predict(&ds)?, pred, "a loaded model predicts bit-identically");
    println!("training RMSE {rmse:.4}; saved and loaded: predictions identical");
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
