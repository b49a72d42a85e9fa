## Reference numbers for the doctest examples on the bundled wave (survey.examples.bundled_wave:
## Design.mean/total/proportion/quantile, svyglm, satisfaction_index, allocation_means,
## topk_shares, rank_logit, cronbach_alpha), checked by tests/test_examples.py.
## Run from anywhere:  Rscript tests/reference/bundled_wave.R
## Writes tests/reference/bundled_wave.json.
## R 4.2.2, survey 4.1.1, jsonlite; data: tests/reference/bundled_wave.csv and
## bundled_wave_margins.csv, written by tests/reference/bundled_wave_make_data.py (the bundled
## sample as `survey run` weights it).
##
## The design: equal base weights N / n, raked to the age band, sex and district margins
## (level 0 of each: not known or not in the margins):
##   wave <- calibrate(svydesign(ids = ~1, weights = ~bw, data = d),
##                     ~rake_age_band + rake_sex + rake_district, population, calfun = "raking")
## calibrate(calfun = "raking") gives rake()'s weights and the GREG-residual variance that
## survey.design.Design.rake computes (tests/reference/parity_rake.R).
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
d <- read.csv(file.path(here, "bundled_wave.csv"))
m <- read.csv(file.path(here, "bundled_wave_margins.csv"))
raked <- c("rake_age_band", "rake_sex", "rake_district")
for (v in raked) d[[v]] <- factor(d[[v]], levels = sort(unique(m$level[m$variable == v])))
pop <- c("(Intercept)" = sum(m$count[m$variable == "rake_age_band"]))
for (v in raked) {
  mv <- m[m$variable == v, ]
  lv <- levels(d[[v]])[-1]
  pop <- c(pop, setNames(mv$count[match(lv, mv$level)], paste0(v, lv)))
}
d0 <- svydesign(ids = ~1, weights = ~bw, data = d)
wave <- calibrate(d0, ~rake_age_band + rake_sex + rake_district, population = pop, calfun = "raking",
                  epsilon = 1e-12, maxit = 200)
out <- list(R = R.version.string, survey = as.character(packageVersion("survey")))
stat <- function(e, ci = confint(e)) {
  ci <- matrix(as.numeric(ci), ncol = 2)
  out <- list(estimate = as.numeric(coef(e)), se = as.numeric(SE(e)), ci_low = ci[, 1], ci_high = ci[, 2])
  if (!inherits(e, "svyciprop")) out$deff <- as.numeric(deff(e))
  out
}

## Design.mean / total / proportion / quantile
out$mean_years <- stat(svymean(~years_lived, wave, na.rm = TRUE, deff = TRUE))
d$children_f <- factor(c("いる", "いない")[d$children], levels = c("いない", "いる"))
wave <- update(wave, children_f = d$children_f)
out$total_children <- stat(svytotal(~children_f, wave, na.rm = TRUE, deff = TRUE))
p <- svymean(~children_f, wave, na.rm = TRUE, deff = TRUE)
ci1 <- confint(svyciprop(~I(children == 1), wave, method = "logit", na.rm = TRUE))
ci2 <- confint(svyciprop(~I(children == 2), wave, method = "logit", na.rm = TRUE))
out$proportion_children <- list(estimate = unname(coef(p)), se = unname(SE(p)),   # いない, いる
                                ci_low = c(ci2[1], ci1[1]), ci_high = c(ci2[2], ci1[2]),
                                deff = unname(deff(p)))
q <- svyquantile(~years_lived, wave, 0.5, na.rm = TRUE)
out$median_years <- list(estimate = unname(coef(q)), se = unname(SE(q)),
                         ci_low = q$years_lived[, "ci.2.5"], ci_high = q$years_lived[, "ci.97.5"])

## svyglm
g <- svyglm(alloc_cool ~ age_band, wave)
out$glm_cool_age <- list(estimate = unname(coef(g)), se = unname(SE(g)), df = g$df.residual,
                         p = unname(summary(g)$coefficients[, 4]))

## satisfaction_index: scores 1 -> +1 ... 5 -> -1; 6 (わからない) has none (na.rm)
scores <- c(1, 0.5, 0, -0.5, -1)
wave <- update(wave, score = ifelse(d$satisfaction %in% 1:5, scores[pmin(d$satisfaction, 5)], NA))
out$index <- stat(svymean(~score, wave, na.rm = TRUE, deff = TRUE))
b <- svyby(~score, ~district, wave, svymean, na.rm = TRUE, deff = TRUE)
out$index_by_district <- list(estimate = unname(coef(b)), se = unname(SE(b)))

## allocation_means: the complete answers (total_policy flag keeps off-total rows as answered)
parts <- grep("^alloc_", names(d), value = TRUE)
ok <- complete.cases(d[, parts])
## (rows outside a subset of a calibrated design stay in its variance: their NA become 0)
for (pt in parts) wave$variables[[paste0("z_", pt)]] <- ifelse(ok, d[[pt]], 0)
f <- as.formula(paste("~", paste0("z_", parts, collapse = " + ")))
out$allocation_means <- stat(svymean(f, subset(wave, ok), deff = TRUE))
out$allocation_n <- sum(ok)

## topk_shares: of the respondents who gave a first choice, item 1 first / in the top 3
answered <- !is.na(d$policy_1)
top3 <- with(d, (policy_1 %in% 1) | (policy_2 %in% 1) | (policy_3 %in% 1))
wave <- update(wave, first1 = as.numeric(d$policy_1 %in% 1), top3_1 = as.numeric(top3))
out$topk_item1 <- list(
  first = stat(svyciprop(~first1, subset(wave, answered), method = "logit")),
  top3 = stat(svyciprop(~top3_1, subset(wave, answered), method = "logit")))

## cronbach_alpha: importance scored 4..1 (code 1 -> 4), complete answers
items <- grep("^imp_", names(d), value = TRUE)
X <- 5 - as.matrix(d[, items])
okx <- complete.cases(X)
k <- length(items)
S <- cov(X[okx, ])
n <- sum(okx)
a <- k / (k - 1) * (1 - sum(diag(S)) / sum(S))
for (it in items) wave$variables[[paste0("s_", it)]] <- ifelse(okx, 5 - d[[it]], 0)
sv <- svyvar(as.formula(paste("~", paste0("s_", items, collapse = " + "))), subset(wave, okx))
Sw <- matrix(sv, k, k); Vw <- attr(sv, "var")
Tw <- sum(Sw); Dw <- sum(diag(Sw))
aw <- k / (k - 1) * (1 - Dw / Tw)
gr <- k / (k - 1) * (-diag(k) / Tw + Dw / Tw^2)
out$alpha <- list(n = n, alpha = a,
                  ci_low = 1 - (1 - a) * qf(0.975, n - 1, (n - 1) * (k - 1)),
                  ci_high = 1 - (1 - a) * qf(0.025, n - 1, (n - 1) * (k - 1)),
                  weighted_alpha = aw,
                  weighted_se = sqrt(as.numeric(t(as.vector(gr)) %*% Vw %*% as.vector(gr))))

## rank_logit(wave, policy_1..3, covariates = "age_band"): the exploded logit is a
## conditional logit, one stratum per respondent x stage over the items not yet chosen
## (tests/reference/ranking_game.R); coefficients from the weighted coxph, and the design-based
## variance as the raked design's variance of the total of each respondent's influence
## h_i = U_i I^-1 (U_i its score, I the weighted information; coxph's weighted dfbeta
## residuals are w_i h_i): svytotal(~h, wave), the sandwich that svycoxph computes, here on
## the calibrated design.
suppressMessages(library(survival))
fitted <- which(!is.na(d$policy_1) & !is.na(d$age_band))
parts <- vector("list", length(fitted))
for (r in seq_along(fitted)) {
  i <- fitted[r]
  ch <- as.numeric(d[i, c("policy_1", "policy_2", "policy_3")]); ch <- ch[!is.na(ch)]
  left <- 1:12; st <- list()
  for (s in seq_along(ch)) {
    st[[s]] <- data.frame(resp = i, situation = i * 10 + s, item = left, status = as.integer(left == ch[s]))
    left <- setdiff(left, ch[s])
  }
  parts[[r]] <- do.call(rbind, st)
}
ex <- do.call(rbind, parts)
ex$time <- 1
ex$w <- weights(wave)[ex$resp]
ex$age <- d$age_band[ex$resp]
terms <- character(0)
for (j in 2:12) {
  ex[[paste0("d_", j)]] <- as.numeric(ex$item == j)
  ex[[paste0("a_", j)]] <- ex[[paste0("d_", j)]] * ex$age
  terms <- c(terms, paste0("d_", j), paste0("a_", j))
}
m <- coxph(as.formula(paste("Surv(time, status) ~", paste(terms, collapse = " + "), "+ strata(situation)")),
           data = ex, weights = w, ties = "breslow", control = coxph.control(eps = 1e-10, iter.max = 100))
D <- rowsum(residuals(m, type = "dfbeta", weighted = TRUE), ex$resp)   # w_i U_i I^-1
rows <- as.integer(rownames(D))
h <- matrix(0, nrow(d), length(terms)); h[rows, ] <- D / weights(wave)[rows]
colnames(h) <- paste0("h_", terms)
for (j in seq_along(terms)) wave$variables[[colnames(h)[j]]] <- h[, j]
V <- vcov(svytotal(as.formula(paste("~", paste(colnames(h), collapse = " + "))), wave))
out$rank_logit_age <- list(terms = terms, estimate = unname(coef(m)), se = sqrt(unname(diag(V))),
                           n = length(fitted))

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(here, "bundled_wave.json"))
