//! The search, the scope check and the reports, measured.

use super::approvals::approvals;
use super::*;

/// A search's body, drawn at random.
type MakeBody<'a> = Box<dyn Fn(&mut StdRng) -> Value + 'a>;

pub(crate) async fn measure(args: &Args) -> anyhow::Result<()> {
    let port = args.port;
    let city = sign_in(port, "city.admin").await?;
    let district_code = district(0);
    let operator = staff(port, &city, "d01.ops", "operator", &district_code).await?;
    let mut rng = StdRng::seed_from_u64(11);
    // Rows of the first district: the grassroots unions of its towns.
    let in_district = |i: usize| (i % args.grassroots % args.towns) % DISTRICTS == 0;
    let district_rows: Vec<usize> = (0..args.roster).filter(|&i| in_district(i)).collect();

    // 1. Roster search by the district's operator.
    println!(
        "\nroster search by a district's operator ({} rows in the district), {} connections:",
        district_rows.len(),
        args.connections
    );
    println!("| search | requests | p50 | p99 | max | found per page (mean) |");
    println!("|---|---|---|---|---|---|");
    let kinds: [(&str, MakeBody); 4] = [
        (
            "name prefix, 1 character",
            Box::new(|r: &mut StdRng| json!({"name_prefix": SURNAMES[r.random_range(0..SURNAMES.len())]})),
        ),
        (
            "name prefix, 2 characters",
            Box::new(
                |r: &mut StdRng| json!({"name_prefix": format!("{}{}", SURNAMES[r.random_range(0..SURNAMES.len())], GIVEN[r.random_range(0..GIVEN.len())])}),
            ),
        ),
        (
            "phone suffix",
            Box::new(|r: &mut StdRng| json!({"phone_suffix": format!("{:04}", r.random_range(0..10_000))})),
        ),
        (
            "member number",
            Box::new(
                |r: &mut StdRng| json!({"member_no": format!("M{:08}", district_rows[r.random_range(0..district_rows.len())])}),
            ),
        ),
    ];
    let mut worst_p99 = 0u64;
    for (label, make) in &kinds {
        let bodies: Vec<Value> = (0..args.searches).map(|_| make(&mut rng)).collect();
        // What a page holds, from a sample (the timed requests are the same requests).
        let mut found = 0usize;
        for body in bodies.iter().take(50) {
            let (status, reply) = call(port, "POST", "/v1/admin/roster/search", &operator, Some(body.clone())).await?;
            ensure!(status == 200, "{status} {reply}");
            found += reply["items"].as_array().map_or(0, Vec::len);
        }
        let requests = bodies.iter().map(|b| request("POST", "/v1/admin/roster/search", &operator, Some(b))).collect();
        let (h, _) = closed_loop(port, requests, args.connections).await?;
        worst_p99 = worst_p99.max(h.value_at_quantile(0.99));
        println!(
            "| {label} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} |",
            h.len(),
            ms(h.value_at_quantile(0.5)),
            ms(h.value_at_quantile(0.99)),
            ms(h.max()),
            found as f64 / 50.0
        );
    }
    println!("worst p99: {:.1} ms (goal ≤ 50 ms)", ms(worst_p99));

    // 2. What the scope check adds to a plain read: the same union read by the city's admin
    //    (whole tree) and the district's operator (its path checked), interleaved.
    let union = format!("/v1/admin/unions/{}", grassroots(0));
    let (mut plain, mut scoped) = (Histogram::<u64>::new(3)?, Histogram::<u64>::new(3)?);
    for _ in 0..20 {
        for (who, into) in [(&city, &mut plain), (&operator, &mut scoped)] {
            let reqs = (0..250).map(|_| request("GET", &union, who, None)).collect();
            let (h, _) = closed_loop(port, reqs, 1).await?;
            into.add(h)?;
        }
    }
    let (p50, s50) = (plain.value_at_quantile(0.5) as f64, scoped.value_at_quantile(0.5) as f64);
    println!(
        "\nGET {union}, 5,000 each, interleaved: whole tree p50 {:.3} ms (mean {:.3}), scoped p50 {:.3} ms (mean {:.3}): \
         the scope check adds {:+.1}% at the median, {:+.1}% on the mean (goal ≤ 5%)",
        p50 / 1000.0,
        plain.mean() / 1000.0,
        s50 / 1000.0,
        scoped.mean() / 1000.0,
        (s50 / p50 - 1.0) * 100.0,
        (scoped.mean() / plain.mean() - 1.0) * 100.0
    );

    // 3. 1,000 join applications to 20 grassroots unions, approved by their 20 officers at once:
    //    first unions of 20 towns (each town's counter numbers its own), then 20 unions of one town
    //    (every number drawn from one counter, the worst case).
    let spread: Vec<String> = (0..args.officers).map(grassroots).collect();
    let one_town: Vec<String> =
        (0..args.grassroots).filter(|g| g % args.towns == 1).take(args.officers).map(grassroots).collect();
    ensure!(one_town.len() == args.officers, "not enough unions in one town");
    let spread_label = format!("in {} towns", args.officers.min(args.towns));
    for (round, (label, unions)) in [(spread_label.as_str(), spread), ("in one town", one_town)].into_iter().enumerate()
    {
        approvals(args, &city, round, label, &unions).await?;
    }

    // 4. Reports: the district's subtree, and the whole city, for the year.
    let this_year = Utc::now().format("%Y").to_string();
    for (who, code, label) in [(&operator, district_code.as_str(), "a district"), (&city, "ROOT", "the whole city")] {
        let path = format!("/v1/admin/unions/{code}/report?from={this_year}-01&to={this_year}-12");
        let mut times = Vec::new();
        let mut reply = Value::Null;
        for _ in 0..5 {
            let at = Instant::now();
            let (status, body) = call(port, "GET", &path, who, None).await?;
            times.push(at.elapsed());
            ensure!(status == 200, "{status} {body}");
            reply = body;
        }
        times.sort();
        println!(
            "report of {label} ({code}, 12 months): median {:.0} ms, max {:.0} ms (goal ≤ 2 s); members {}, joins this year {}",
            times[2].as_secs_f64() * 1000.0,
            times[4].as_secs_f64() * 1000.0,
            reply["members"],
            reply["months"].as_array().map_or(0, |m| m.iter().map(|x| x["joins"].as_u64().unwrap_or(0)).sum::<u64>())
        );
    }

    // 5. The console's pages, as the city's admin and the district's operator open them.
    super::console::console(args).await
}
