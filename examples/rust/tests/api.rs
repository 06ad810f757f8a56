//! The safe wrappers against the built librec (LIBREC_LIB_DIR).
use librec::*;

fn tiny() -> Dataset {
    let users: Vec<String> = (0..60).map(|r| format!("u{}", r % 6)).collect();
    let titles: Vec<String> = (0..60).map(|r| format!("Title {} (1990)", (r * 5) % 7)).collect();
    let ratings: Vec<f64> = (0..60).map(|r| 1.0 + ((r * 3) % 5) as f64).collect();
    let times: Vec<f64> = (0..60).map(|r| 880_000_000.0 + 1000.0 * r as f64).collect();
    let mut ds = Dataset::new(60).unwrap();
    ds.add_strings("user_id", &users).unwrap();
    ds.add_strings("movie_title", &titles).unwrap();
    ds.add_numbers("timestamp", &times).unwrap();
    ds.add_numbers("user_rating", &ratings).unwrap();
    ds
}

fn trained(preset: Preset) -> (Model, Dataset) {
    let ds = tiny();
    let mut m = Model::preset(preset, 7).unwrap();
    m.build(&ds).unwrap();
    let mut opt = Optimizer::adagrad(0.1).unwrap();
    m.fit(&mut opt, &ds, None, 3, 8, 16).unwrap();
    (m, ds)
}

#[test]
fn version_is_1_1() {
    assert_eq!(version() / 100, 101); // 1.1.x: the API this crate was written for
    assert!(version_string().starts_with("1.1."));
}

#[test]
fn errors_carry_status_and_message() {
    let e = Model::load("/nonexistent/dir/m.rec").err().unwrap();
    assert_eq!(e.status, RecError::EIO);
    assert!(e.message.contains("/nonexistent/dir/m.rec"), "{}", e.message);
    let mut m = Model::new(1).unwrap();
    let e = m.add_feature("user_id", FeatureKind::Numeric, Side::User, 3).err().unwrap();
    assert_eq!(e.status, RecError::EINVAL);
    assert!(e.message.contains("dim 1"), "{}", e.message);
    let e = Optimizer::adagrad(-1.0).err().unwrap();
    assert_eq!(e.name(), "REC_EINVAL");
}

#[test]
fn described_model_needs_a_label() {
    let ds = tiny();
    let mut m = Model::new(5).unwrap();
    assert_eq!(m.label(), None);
    m.add_feature("user_id", FeatureKind::Categorical, Side::User, 4).unwrap();
    m.add_feature("movie_title", FeatureKind::Categorical, Side::Item, 4).unwrap();
    let mut unlabelled = Model::new(5).unwrap();
    unlabelled.add_feature("user_id", FeatureKind::Categorical, Side::User, 4).unwrap();
    unlabelled.add_feature("movie_title", FeatureKind::Categorical, Side::Item, 4).unwrap();
    unlabelled.build(&ds).unwrap();
    let mut opt = Optimizer::adagrad(0.1).unwrap();
    let e = unlabelled.fit(&mut opt, &ds, None, 1, 8, 16).err().unwrap();
    assert_eq!(e.status, RecError::ESTATE);
    assert!(e.message.contains("has no label column"), "{}", e.message);
    assert_eq!(m.set_label("").err().unwrap().status, RecError::EINVAL);
    m.set_label("user_rating").unwrap();
    assert_eq!(m.label().as_deref(), Some("user_rating"));
    m.build(&ds).unwrap();
    m.fit(&mut opt, &ds, None, 2, 8, 16).unwrap();
    let (rmse, _) = m.evaluate(&ds, 16).unwrap();
    assert!(rmse.is_finite());
    assert_eq!(Model::preset(Preset::Dot, 1).unwrap().label().as_deref(), Some("user_rating"));
}

#[test]
fn vocab_lookup() {
    // sorted unique: "a" → 1, "b" → 2, unknown → 0
    let v = Vocab::new(&["b", "a", "b"]).unwrap();
    assert_eq!(v.len(), 3);
    assert_eq!(v.index("a"), 1);
    assert_eq!(v.index("zz"), 0);
    assert_eq!(v.token(2).as_deref(), Some("b"));
    assert_eq!(v.token(0), None);
}

#[test]
fn train_predict_save_load() {
    for preset in [Preset::Dot, Preset::OneLayer, Preset::Enriched] {
        let (m, ds) = trained(preset);
        assert!(m.is_built());
        let p = m.predict(&ds).unwrap();
        assert_eq!(p.len(), 60);
        assert!(p.iter().all(|x| x.is_finite()));
        let path =
            std::env::temp_dir().join(format!("librec-rs-{}-{:?}.rec", std::process::id(), preset));
        m.save(&path, true).unwrap();
        let l = Model::load(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let q = l.predict(&ds).unwrap();
        assert_eq!(
            p.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            q.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        assert_eq!(m.summary().unwrap(), l.summary().unwrap());
        assert_eq!(m.n_params(), l.n_params());
    }
}

#[test]
fn borrowed_vocab_and_callback() {
    let ds = tiny();
    let mut m = Model::preset(Preset::Dot, 3).unwrap();
    m.build(&ds).unwrap();
    {
        let v = m.feature_vocab(0).unwrap();
        assert_eq!(v.len(), 7); // u0..u5 + OOV
        assert_eq!(v.index("u3"), 4);
    }
    let mut opt = Optimizer::adagrad(0.1).unwrap();
    let mut epochs = vec![];
    m.fit_with(&mut opt, &ds, Some(&ds), 5, 8, 16, |s| {
        epochs.push(s.epoch);
        assert!(s.val_rmse.is_finite());
        s.epoch == 2
    })
    .unwrap();
    assert_eq!(epochs, vec![1, 2]);
}

#[test]
#[should_panic(expected = "from the callback")]
fn panic_in_callback_is_resumed_after_c_returns() {
    let ds = tiny();
    let mut m = Model::preset(Preset::Dot, 3).unwrap();
    m.build(&ds).unwrap();
    let mut opt = Optimizer::adagrad(0.1).unwrap();
    let _ = m.fit_with(&mut opt, &ds, None, 3, 8, 16, |_| panic!("from the callback"));
}

#[test]
fn shared_model_predicts_from_threads() {
    let (m, ds) = trained(Preset::Enriched);
    let want = m.predict(&ds).unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| m.predict(&ds).unwrap())).collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), want);
        }
    });
}

#[test]
fn optimizers_and_threads_resume_from_checkpoint() {
    // 2 epochs + save with optimizer state + load + 2 epochs == 4 epochs, for Adam
    // (moments and step counts restored) on a model using 2 threads of its own
    let ds = tiny();
    let run = |m: &mut Model, epochs: usize| {
        let mut opt = Optimizer::adam(0.01).unwrap();
        for _ in 0..epochs {
            m.train_epoch(&mut opt, &ds, 8).unwrap();
        }
    };
    let mut full = Model::preset(Preset::OneLayer, 11).unwrap();
    full.set_threads(2).unwrap();
    assert_eq!(full.threads(), 2);
    full.build(&ds).unwrap();
    run(&mut full, 4);
    let mut half = Model::preset(Preset::OneLayer, 11).unwrap();
    half.build(&ds).unwrap();
    half.set_threads(2).unwrap();
    run(&mut half, 2);
    let path = std::env::temp_dir().join(format!("librec-rs-ckpt-{}.rec", std::process::id()));
    half.save(&path, true).unwrap();
    let mut resumed = Model::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    resumed.set_threads(2).unwrap();
    run(&mut resumed, 2);
    assert_eq!(resumed.predict(&ds).unwrap(), full.predict(&ds).unwrap());
    assert!(Optimizer::sgd(0.1).is_ok());
    assert_eq!(full.set_threads(0).err().unwrap().status, RecError::EINVAL);
}

#[test]
fn table_by_header_names() {
    let opts = TableOptions::new()
        .unwrap()
        .column("sku", TableType::String, Some("item"))
        .unwrap()
        .column("code", TableType::Id, None)
        .unwrap()
        .list_separator("tags", b';')
        .unwrap();
    let ds = Dataset::parse_table(
        b"sku,code,stars,tags\n\"a,1\",007,4.5,x;y\nb,8,,\n",
        Some("t.csv"),
        Some(&opts),
    )
    .unwrap();
    assert_eq!(ds.column_names(), ["item", "code", "stars", "tags"]);
    assert_eq!(ds.strings("item").unwrap(), ["a,1", "b"]);
    assert_eq!(ds.strings("code").unwrap(), ["007", "8"]);
    let stars = ds.numbers("stars").unwrap();
    assert_eq!(stars[0], 4.5);
    assert!(stars[1].is_nan());
    assert_eq!(ds.column_type("tags").unwrap(), ColumnType::StringList);
}

#[test]
fn table_errors_name_file_line_column() {
    let e = Dataset::parse_table(b"a,b\n1,2\n3\n", Some("t.csv"), None).err().unwrap();
    assert_eq!(e.status, RecError::EFORMAT);
    assert!(e.message.contains("t.csv:3: expected 2 fields, found 1"), "{}", e.message);
    let opts = TableOptions::new().unwrap().missing(Some("b"), Missing::Error).unwrap();
    let e = Dataset::parse_table(b"a,b\n1,\n", Some("t.csv"), Some(&opts)).err().unwrap();
    assert!(e.message.contains("t.csv:2: column 'b' (2): empty value"), "{}", e.message);
    assert_eq!(
        TableOptions::new().unwrap().delimiter(b'\n').err().unwrap().status,
        RecError::EINVAL
    );
    assert_eq!(TableOptions::new().unwrap().infer_rows(0).err().unwrap().status, RecError::EINVAL);
    let e = TableOptions::new().unwrap().column("a\0b", TableType::String, None).err().unwrap();
    assert_eq!(e.status, RecError::EINVAL);
    let dir = std::env::temp_dir().join(format!("librec-table-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("r.tsv");
    std::fs::write(&path, "u\tscore\nx\t1\n").unwrap();
    let tsv = TableOptions::new().unwrap().delimiter(b'\t').unwrap();
    assert_eq!(Dataset::load_table(&path, Some(&tsv)).unwrap().len(), 1);
    let e = Dataset::load_table(dir.join("none.csv"), None).err().unwrap();
    assert_eq!(e.status, RecError::EIO);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn join_and_preset_over_own_columns() {
    let mut ratings =
        Dataset::parse_table(b"who,what,stars\na,x,1\nb,y,2\na,y,3\nb,zz,4\n", None, None).unwrap();
    let items = Dataset::parse_table(b"what,cat\nx,c1\ny,c2\n", None, None).unwrap();
    let e = ratings.join("what", &items, None, JoinPolicy::RequireMatch).err().unwrap();
    assert_eq!(e.status, RecError::ENOTFOUND);
    assert!(e.message.contains("'zz'"), "{}", e.message);
    assert_eq!(ratings.column_names(), ["who", "what", "stars"]);
    assert_eq!(ratings.join("what", &items, None, JoinPolicy::FillMissing).unwrap(), (1, 0));
    assert_eq!(ratings.strings("cat").unwrap(), ["c1", "c2", "c2", ""]);
    let mut m = Model::preset_columns(
        Preset::Dot,
        &[("user", "who"), ("item", "what"), ("label", "stars")],
        3,
    )
    .unwrap();
    assert_eq!(m.label().as_deref(), Some("stars"));
    m.build(&ratings).unwrap();
    let inputs = m.inputs().unwrap();
    assert_eq!(inputs.len(), 2);
    assert_eq!(inputs[0].column, "who");
    assert_eq!(inputs[1].side, Side::Item);
    assert_eq!(inputs[1].column_type, ColumnType::String);
    assert_eq!(m.feature_info(2).err().unwrap().status, RecError::EINVAL);
    let e = Model::preset_columns(Preset::Dot, &[("user", "who")], 3).err().unwrap();
    assert!(
        e.message.contains("role 'item' is missing") || e.message.contains("is missing"),
        "{}",
        e.message
    );
}

#[test]
fn serve_from_the_model_file() {
    let mut text = String::from("user,item,rating\n");
    for u in 0..10 {
        for i in 0..12 {
            if (u * 7 + i * 3) % 4 != 0 {
                text += &format!("u{u},i{i},{}\n", 1 + (u + 2 * i) % 5);
            }
        }
    }
    let ratings = Dataset::parse_table(text.as_bytes(), None, None).unwrap();
    let mut m = Model::new(5).unwrap();
    m.add_feature("user", FeatureKind::Categorical, Side::User, 4).unwrap();
    m.add_feature("item", FeatureKind::Categorical, Side::Item, 4).unwrap();
    m.set_label("rating").unwrap();
    m.build(&ratings).unwrap();
    let mut opt = Optimizer::adagrad(0.1).unwrap();
    m.fit(&mut opt, &ratings, None, 5, 16, 64).unwrap();
    let items = Dataset::parse_table(
        (0..12).fold(String::from("item\n"), |s, i| s + &format!("i{i}\n")).as_bytes(),
        None,
        None,
    )
    .unwrap();
    m.set_catalog(&items, "item").unwrap();
    m.set_seen(&ratings, "user", "item").unwrap();
    m.set_clip(true).unwrap();
    let dir = std::env::temp_dir().join(format!("librec-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("m.rec");
    m.save(&path, false).unwrap();
    let l = Model::load(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(l.catalog().len(), 12);
    assert_eq!(l.label_range().unwrap(), (1.0, 5.0));
    let mut user = Dataset::new(1).unwrap();
    user.add_strings("user", &["u3"]).unwrap();
    let top = l.recommend_user(&user, 0, 20, &[], true).unwrap();
    assert_eq!(top.len(), (0..12).filter(|i| (3 * 7 + i * 3) % 4 == 0).count());
    assert!(top.windows(2).all(|w| w[0].1 >= w[1].1));
    assert!(top.iter().all(|(_, s)| (1.0..=5.0).contains(s)));
    let ids: Vec<&str> = top.iter().map(|(i, _)| i.as_str()).collect();
    let scores = l.score_items(&user, 0, &ids).unwrap();
    for (s, (_, want)) in scores.iter().zip(&top) {
        assert!((s - want).abs() < 1e-5);
    }
    assert_eq!(l.recommend_users(&user, 2, true).unwrap()[0], top[..2].to_vec());
    assert_eq!(l.count_unknown(&user).unwrap(), [0]);
    let e = l.score_items(&user, 0, &["nosuch"]).err().unwrap();
    assert_eq!(e.status, RecError::ENOTFOUND);
    assert_eq!(l.recommend_user(&user, 1, 3, &[], true).err().unwrap().status, RecError::EINVAL);
}
