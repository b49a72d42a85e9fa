## Reference numbers for survey/measures/satisfaction/index.py, parkuse.py, indicators.py,
## waves.py and reliability.py (tests/test_satisfaction.py, test_indicators.py,
## test_waves.py, test_reliability.py).
## Run from anywhere:  Rscript tests/reference/satisfaction_svymean.R
## Writes tests/reference/satisfaction_svymean.json.
## R survey 4.1.1, jsonlite; data: tests/data/satisfaction_test.csv, written by
## tests/reference/satisfaction_make_data.py (synthetic, deterministic).
##
## Design of each wave: svydesign(ids = ~1, strata = ~stratum, weights = ~wt).
## Satisfaction scores (midori_2025.yaml): 1 -> +1, 2 -> +0.5, 3 -> 0, 4 -> -0.5,
## 5 -> -1; 6 (わからない), 9 (無回答) and blanks have no score and are left out
## as a domain (na.rm = TRUE keeps the full design for the variance).
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
d <- read.csv(file.path(here, "..", "data", "satisfaction_test.csv"))

items <- c("imp_rain", "imp_cool", "imp_carbon", "imp_wildlife", "imp_scenery",
           "imp_farm", "imp_health", "imp_children", "imp_community", "imp_disaster")
scores <- c(1, 0.5, 0, -0.5, -1)
d$score <- ifelse(d$satisfaction %in% 1:5, scores[pmin(d$satisfaction, 5)], NA)
d$scored <- !is.na(d$score)
for (k in 1:5) d[[paste0("lev", k)]] <- as.numeric(d$satisfaction == k)
d$top2 <- as.numeric(d$satisfaction %in% 1:2)
d$bottom2 <- as.numeric(d$satisfaction %in% 4:5)
d$net <- d$top2 - d$bottom2
d$dontknow <- as.numeric(!is.na(d$satisfaction) & d$satisfaction == 6)
d$noanswer <- as.numeric(is.na(d$satisfaction) | d$satisfaction == 9)
d$times <- c(300, 130, 52, 18, 4, 0)[d$park_use]
d$never <- as.numeric(d$park_use == 6)
d$park_week <- d$times / 52
d$sat_ord <- factor(d$score, levels = c(-1, -0.5, 0, 0.5, 1), ordered = TRUE)
for (it in items) d[[paste0("s_", it)]] <- 5 - d[[it]]          # importance score 4..1
d$one <- 1
for (g in 1:5) {
  d[[paste0("g", g)]] <- as.numeric(d$district == g)
  d[[paste0("ng", g)]] <- d$never * (d$district == g)
}

w25 <- d[d$wave == 2025, ]
w30 <- d[d$wave == 2030, ]
des25 <- svydesign(ids = ~1, strata = ~stratum, weights = ~wt, data = w25)
des30 <- svydesign(ids = ~1, strata = ~stratum, weights = ~wt, data = w30)

st <- function(x) {
  ci <- confint(x)
  list(estimate = as.numeric(coef(x)), se = as.numeric(SE(x)), deff = as.numeric(deff(x)),
       ci_low_normal = unname(ci[, 1]), ci_high_normal = unname(ci[, 2]))
}
by_st <- function(x, key) {
  list(groups = as.character(x[[key]]), estimate = unname(coef(x)), se = unname(SE(x)),
       deff = unname(deff(x)), vcov = unname(vcov(x)))
}
out <- list()
out$counts <- list(rows25 = nrow(w25), rows30 = nrow(w30), scored25 = sum(w25$scored),
                   scored30 = sum(w30$scored), degf25 = degf(des25), degf30 = degf(des30),
                   park25 = sum(!is.na(w25$park_use)))

## ---------------------------------------------------------------- the index
out$index <- st(svymean(~score, des25, na.rm = TRUE, deff = TRUE))
out$index30 <- st(svymean(~score, des30, na.rm = TRUE, deff = TRUE))
## (svyby(..., na.rm = TRUE, covmat = TRUE) fails in survey 4.1.1; subset() is the same domain)
bd <- svyby(~score, ~district, subset(des25, scored), svymean, covmat = TRUE, deff = TRUE)
out$index_by_district <- by_st(bd, "district")
out$index_by_district$n <- unname(as.vector(table(w25$district[w25$scored])))
ba <- svyby(~score, ~age_band, subset(des25, scored), svymean, covmat = TRUE, deff = TRUE)
out$index_by_age <- by_st(ba, "age_band")

## pairwise district differences (later group minus earlier group), Holm adjusted
V <- vcov(bd); b <- coef(bd); G <- length(b); df25 <- degf(des25)
pw <- list(group = c(), reference = c(), estimate = c(), se = c(), p_t = c(), p_z = c())
for (i in 1:(G - 1)) for (j in (i + 1):G) {
  cc <- rep(0, G); cc[j] <- 1; cc[i] <- -1
  e <- sum(cc * b); s <- sqrt(as.numeric(t(cc) %*% V %*% cc))
  pw$group <- c(pw$group, bd$district[j]); pw$reference <- c(pw$reference, bd$district[i])
  pw$estimate <- c(pw$estimate, e); pw$se <- c(pw$se, s)
  pw$p_t <- c(pw$p_t, 2 * pt(-abs(e / s), df25)); pw$p_z <- c(pw$p_z, 2 * pnorm(-abs(e / s)))
}
pw$p_t_holm <- p.adjust(pw$p_t, "holm"); pw$p_z_holm <- p.adjust(pw$p_z, "holm")
pw$p_t_bonferroni <- p.adjust(pw$p_t, "bonferroni"); pw$p_t_BH <- p.adjust(pw$p_t, "BH")
out$pairwise_district <- pw
## joint Wald test: all district means equal (contrasts against the first)
C <- cbind(-1, diag(G - 1))
dd <- C %*% b
W <- as.numeric(t(dd) %*% solve(C %*% V %*% t(C)) %*% dd)
out$wald_district <- list(statistic = W, df = G - 1, df_denom = df25,
                          p_F = pf(W / (G - 1), G - 1, df25, lower.tail = FALSE),
                          p_chisq = pchisq(W, G - 1, lower.tail = FALSE))

## ---------------------------------------------------------------- after raking
pop_age <- data.frame(age_band = 1:6, Freq = c(21000, 19200, 21600, 21000, 13800, 23400))
pop_sex <- data.frame(sex = 1:2, Freq = c(59000, 61000))
rk <- rake(des25, list(~age_band, ~sex), list(pop_age, pop_sex),
           control = list(maxit = 100, epsilon = 1e-12))
## (rake() is kept for its weights and as a record of its variance; see cal below)
## The same weights by calibrate(calfun = "raking"): its variance uses the residuals of the
## joint weighted regression on the margin dummies (what survey.design.Design.rake does);
## rake()'s variance iterates per-margin projections with each step's own weights and
## differs slightly (most in small domains, e.g. district 1: 0.1093 vs 0.0999).
cal <- calibrate(des25, ~factor(age_band) + factor(sex),
                 population = c(`(Intercept)` = 120000, pop_age$Freq[-1], pop_sex$Freq[-1]),
                 calfun = "raking", epsilon = 1e-12)
out$cal_weight_ratio_range <- range(weights(cal) / weights(rk))
out$cal_index <- st(svymean(~score, cal, na.rm = TRUE, deff = TRUE))
cbd <- svyby(~score, ~district, cal, svymean, na.rm = TRUE, deff = TRUE)
out$cal_by_district <- list(groups = as.character(cbd$district), estimate = unname(coef(cbd)),
                            se = unname(SE(cbd)), deff = unname(deff(cbd)))
out$cal_top2 <- st(svymean(~top2, subset(cal, scored), deff = TRUE))
out$cal_park <- st(svymean(~times, cal, na.rm = TRUE, deff = TRUE))
out$raked_weights_head <- unname(weights(rk)[1:10])
out$raked_index <- st(svymean(~score, rk, na.rm = TRUE, deff = TRUE))
## (a subset of a calibrated design keeps its rows, so na.rm is needed here; no covmat)
rbd <- svyby(~score, ~district, rk, svymean, na.rm = TRUE, deff = TRUE)
out$raked_by_district <- list(groups = as.character(rbd$district), estimate = unname(coef(rbd)),
                              se = unname(SE(rbd)), deff = unname(deff(rbd)))
out$raked_top2 <- st(svymean(~top2, subset(rk, scored), deff = TRUE))
out$raked_park <- st(svymean(~times, rk, na.rm = TRUE, deff = TRUE))

## ---------------------------------------------------------------- distribution
sc25 <- subset(des25, scored)
out$levels <- st(svymean(~lev1 + lev2 + lev3 + lev4 + lev5, sc25, deff = TRUE))
out$top2 <- st(svymean(~top2, sc25, deff = TRUE))
out$bottom2 <- st(svymean(~bottom2, sc25, deff = TRUE))
out$net <- st(svymean(~net, sc25, deff = TRUE))
## shares with svyciprop(method = "logit") intervals (t with the domain's design df)
cip <- function(f, des) { x <- svyciprop(f, des, method = "logit"); ci <- confint(x)
  list(estimate = as.numeric(coef(x)), se = as.numeric(SE(x)), ci_low = unname(ci[1]),
       ci_high = unname(ci[2]), df = degf(des)) }
out$ciprop <- list(lev1 = cip(~I(lev1 == 1), sc25), lev5 = cip(~I(lev5 == 1), sc25),
                   top2 = cip(~I(top2 == 1), sc25), noanswer = cip(~I(noanswer == 1), des25),
                   never = cip(~I(never == 1), subset(des25, !is.na(park_use))),
                   never_d1 = cip(~I(never == 1), subset(des25, !is.na(park_use) & district == 1)))
out$dontknow <- st(svymean(~dontknow, des25, deff = TRUE))
out$noanswer <- st(svymean(~noanswer, des25, deff = TRUE))
out$top2_by_district <- by_st(svyby(~top2, ~district, sc25, svymean, covmat = TRUE,
                                    deff = TRUE), "district")
out$levels_by_district <- list(
  estimate = unname(as.matrix(coef(svyby(~lev1 + lev2 + lev3 + lev4 + lev5, ~district, sc25,
                                         svymean))[])),
  se = unname(SE(svyby(~lev1 + lev2 + lev3 + lev4 + lev5, ~district, sc25, svymean))))

## ---------------------------------------------------------------- park use
out$park_times <- st(svymean(~times, des25, na.rm = TRUE, deff = TRUE))
out$park_times_by_district <- by_st(svyby(~times, ~district, subset(des25, !is.na(park_use)),
                                          svymean, covmat = TRUE, deff = TRUE), "district")
out$park_never <- st(svymean(~never, des25, na.rm = TRUE, deff = TRUE))
out$park_never_by_district <- by_st(svyby(~never, ~district, subset(des25, !is.na(park_use)),
                                          svymean, covmat = TRUE, deff = TRUE), "district")
out$park_never_by_district$n <- unname(as.vector(table(w25$district[!is.na(w25$park_use)])))

## never-use share of each district minus the whole city's (one sample: joint linearisation)
pk <- subset(des25, !is.na(park_use))
tt <- svytotal(~ng1 + ng2 + ng3 + ng4 + ng5 + g1 + g2 + g3 + g4 + g5 + never + one, pk)
ex <- lapply(1:5, function(g) parse(text = sprintf("ng%d/g%d - never/one", g, g))[[1]])
names(ex) <- paste0("d", 1:5)
dc <- svycontrast(tt, ex)
p_dc <- 2 * pt(-abs(coef(dc) / SE(dc)), degf(des25))
out$never_vs_city <- list(estimate = unname(coef(dc)), se = unname(SE(dc)), p_t = unname(p_dc),
                          p_t_holm = p.adjust(unname(p_dc), "holm"))

## ---------------------------------------------------------------- drivers (svyolr)
## satisfaction ordered least -> most satisfied, park use as a factor against 6 (利用しない)
d$park_f <- relevel(factor(d$park_use), ref = "6")
w25$park_f <- relevel(factor(w25$park_use), ref = "6")
des25 <- svydesign(ids = ~1, strata = ~stratum, weights = ~wt, data = w25)
fit <- svyolr(sat_ord ~ factor(age_band) + factor(district) + factor(sex) + park_f,
              subset(des25, scored & !is.na(park_use)), control = list(reltol = 1e-15))
out$olr <- list(names = names(coef(fit)), estimate = unname(coef(fit)),
                se = unname(SE(fit)), df_resid = degf(subset(des25, scored & !is.na(park_use))) -
                  length(fit$coefficients))

## ---------------------------------------------------------------- waves
i25 <- svymean(~score, des25, na.rm = TRUE); i30 <- svymean(~score, des30, na.rm = TRUE)
p25 <- svymean(~times, des25, na.rm = TRUE); p30 <- svymean(~times, des30, na.rm = TRUE)
out$wave_change <- list(
  index = list(estimate = unname(coef(i30) - coef(i25)), se = sqrt(as.numeric(SE(i30)^2 + SE(i25)^2))),
  park = list(estimate = unname(coef(p30) - coef(p25)), se = sqrt(as.numeric(SE(p30)^2 + SE(p25)^2)),
              wave30 = st(svymean(~times, des30, na.rm = TRUE, deff = TRUE))))
out$index30_by_district <- by_st(svyby(~score, ~district, subset(des30, scored), svymean,
                                       covmat = TRUE, deff = TRUE), "district")

## ---------------------------------------------------------------- indicator tests
ind <- function(est, base, target, df) {
  e <- as.numeric(coef(est)); s <- as.numeric(SE(est))
  list(change = e - base, t_base = (e - base) / s, p_base_t = 2 * pt(-abs((e - base) / s), df),
       p_base_z = 2 * pnorm(-abs((e - base) / s)), gap = e - target,
       p_target_t = 2 * pt(-abs((e - target) / s), df))
}
out$indicator_index30 <- ind(i30, 0.29, 0.30, degf(des30))
out$indicator_park30 <- ind(p30, 30.9, 31.9, degf(des30))

## ---------------------------------------------------------------- reliability
X <- as.matrix(w25[, paste0("s_", items)])
ok <- complete.cases(X)
Xc <- X[ok, ]; n <- nrow(Xc); k <- ncol(Xc)
S <- cov(Xc)
alpha <- k / (k - 1) * (1 - sum(diag(S)) / sum(S))
## Feldt (1987) interval, as pingouin.cronbach_alpha
lo <- 1 - (1 - alpha) * qf(0.975, n - 1, (n - 1) * (k - 1))
hi <- 1 - (1 - alpha) * qf(0.025, n - 1, (n - 1) * (k - 1))
tot <- rowSums(Xc)
ir <- sapply(1:k, function(j) cor(Xc[, j], tot - Xc[, j]))
wt <- w25$wt[ok]
irw <- sapply(1:k, function(j) cov.wt(cbind(Xc[, j], tot - Xc[, j]), wt = wt, cor = TRUE)$cor[1, 2])
adel <- sapply(1:k, function(j) { Sj <- S[-j, -j]; (k - 1) / (k - 2) * (1 - sum(diag(Sj)) / sum(Sj)) })
## weighted alpha from the design-based covariance (svyvar) with a delta-method SE
desc <- subset(des25, ok)
f <- as.formula(paste("~", paste0("s_", items, collapse = "+")))
sv <- svyvar(f, desc)
Sw <- matrix(sv, k, k); Vw <- attr(sv, "var")
Tw <- sum(Sw); Dw <- sum(diag(Sw))
aw <- k / (k - 1) * (1 - Dw / Tw)
g <- k / (k - 1) * (-diag(k) / Tw + Dw / Tw^2)
sew <- sqrt(as.numeric(t(as.vector(g)) %*% Vw %*% as.vector(g)))
out$alpha <- list(n = n, k = k, alpha = alpha, ci_low = lo, ci_high = hi,
                  item_rest = ir, item_rest_weighted = irw, alpha_if_deleted = adel,
                  weighted_alpha = aw, weighted_se = sew, weighted_cov_diag = diag(Sw),
                  degf = degf(desc))

out$items <- items
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "satisfaction_svymean.json"))
cat("wrote satisfaction_svymean.json\n")
