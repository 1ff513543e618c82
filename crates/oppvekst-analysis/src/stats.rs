//! Small statistics: Wilson score interval, normal CDF and the two-proportion z-test.

/// z for a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Benjamini–Hochberg adjusted p-values (the step-up false-discovery-rate correction, as
/// R's `p.adjust(method = "BH")` and statsmodels' `fdr_bh` compute them), in the input's order:
/// for the i-th smallest of m p-values, min over j ≥ i of m·p(j)/j, capped at 1. A test is
/// significant at level α when its adjusted p-value is below α.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut adjusted = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64).min(1.0);
        adjusted[i] = running;
    }
    adjusted
}

/// Wilson score 95 % interval for x of n, as proportions (None when n = 0).
pub fn wilson(x: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 || x > n {
        return None;
    }
    let (x, n) = (x as f64, n as f64);
    let p = x / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// Standard normal CDF, Φ(z) = erfc(−z/√2) / 2, with musl's `erfc` (libm; accurate to
/// about one unit in the last place, also far out in the tails).
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// Two-sided two-proportion z-test with pooled variance: (z, p-value).
/// None when either group is empty or the pooled proportion is 0 or 1.
pub fn two_proportion_test(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<(f64, f64)> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let pool = (x1 + x2) as f64 / (n1 + n2) as f64;
    let se = (pool * (1.0 - pool) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    if se == 0.0 {
        return None;
    }
    let z = (p2 - p1) / se;
    Some((z, 2.0 * (1.0 - normal_cdf(z.abs()))))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values computed independently in Python (math.erfc and the textbook
    // Wilson and pooled two-proportion formulas), not with this code.
    #[test]
    fn wilson_matches_reference() {
        let (lo, hi) = wilson(12, 100).unwrap();
        assert!((lo - 0.069_994).abs() < 1e-5, "{lo}");
        assert!((hi - 0.198_121).abs() < 1e-5, "{hi}");
        let (lo, hi) = wilson(0, 50).unwrap();
        assert!(lo.abs() < 1e-12);
        assert!((hi - 0.071_348).abs() < 1e-5, "{hi}");
        assert_eq!(wilson(1, 0), None);
    }

    #[test]
    fn benjamini_hochberg_matches_statsmodels() {
        // statsmodels.stats.multitest.multipletests(p, method="fdr_bh")[1] on these p-values:
        // 0.03, 0.048, 0.048, 0.03, 0.2, 0.048.
        let p = [0.01, 0.04, 0.03, 0.005, 0.2, 0.04];
        let want = [0.03, 0.048, 0.048, 0.03, 0.2, 0.048];
        for (got, want) in benjamini_hochberg(&p).iter().zip(want) {
            assert!((got - want).abs() < 1e-12, "{got} {want}");
        }
        assert!(benjamini_hochberg(&[]).is_empty());
        assert_eq!(benjamini_hochberg(&[0.9, 0.95]), vec![0.95, 0.95]);
    }

    #[test]
    fn normal_cdf_and_z_test() {
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-1.0) - 0.158_655_253_931_457_05).abs() < 1e-15);
        // Far in the tail, where 1 − Φ(z) is lost to rounding: Φ(−8) = 6.22e−16.
        assert!((normal_cdf(-8.0) / 6.220_960_574_271_785e-16 - 1.0).abs() < 1e-12);
        let (z, p) = two_proportion_test(120, 1000, 170, 1000).unwrap();
        assert!((z - 3.175_323).abs() < 1e-5, "{z}");
        assert!((p - 0.001_497).abs() < 1e-6, "{p}");
        assert_eq!(two_proportion_test(0, 10, 0, 10), None);
    }
}
