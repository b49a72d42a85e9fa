## Reference numbers for survey/measures/allocation/means.py and compositional.py
## (tests/test_allocation.py, tests/test_compositional.py).
## Run from anywhere:  Rscript tests/reference/allocation_svymean.R
## Writes tests/reference/allocation_svymean.json.
## R survey 4.1.1, jsonlite; data: tests/data/allocation_test.csv, written by
## tests/reference/allocation_make_data.py (synthetic, deterministic).
##
## Design: svydesign(ids = ~1, strata = ~stratum, weights = ~wt).
## Valid rows: no part missing and the ten parts add up to exactly 1000.
## Domains are taken with subset() so the variance keeps the full design.
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
d <- read.csv(file.path(here, "..", "data", "allocation_test.csv"))

parts <- c("rainwater", "cooling", "carbon", "wildlife", "landscape",
           "farming", "health", "childhood", "community", "disaster")
Y <- as.matrix(d[, parts])
complete <- complete.cases(Y)
rs <- rowSums(Y)
d$valid <- complete & rs == 1000
d$kept_flag <- complete & rs > 0

## largest-remainder rescaling (Hamilton), ties to the leftmost part
lr <- function(x, total = 1000) {
  s <- x * total / sum(x); b <- floor(s); short <- round(total - sum(b))
  if (short > 0) { o <- order(-(s - b), seq_along(s)); b[o[seq_len(short)]] <- b[o[seq_len(short)]] + 1 }
  b
}
R <- Y
for (i in which(complete & rs != 1000 & rs > 0)) R[i, ] <- lr(Y[i, ])
for (j in seq_along(parts)) {
  d[[paste0("z_", parts[j])]] <- as.numeric(Y[, j] == 0)
  d[[paste0("t_", parts[j])]] <- as.numeric(Y[, j] >= 300)
  d[[paste0("r_", parts[j])]] <- R[, j]
  d[[paste0("s_", parts[j])]] <- Y[, j] / rs
}
## multiplicative replacement of zeros by delta = 1 yen (Martin-Fernandez et al. 2003),
## on the closed (proportion) scale: zero -> 1/1000, others x * (1 - k/1000)
P <- Y / rs
delta <- 1 / 1000
nz <- rowSums(P == 0)
M <- ifelse(P == 0, delta, P * (1 - nz * delta))
for (j in seq_along(parts)) d[[paste0("l_", parts[j])]] <- log(M[, j])
## ilr: coordinate k = sqrt(k/(k+1)) * log(gmean(x_1..x_k) / x_{k+1})
D <- length(parts)
for (k in 1:(D - 1)) {
  gm <- rowMeans(log(M[, 1:k, drop = FALSE]))
  d[[paste0("ilr", k)]] <- sqrt(k / (k + 1)) * (gm - log(M[, k + 1]))
}

des <- svydesign(ids = ~1, strata = ~stratum, weights = ~wt, data = d)
valid <- subset(des, valid)
f <- function(prefix) as.formula(paste("~", paste0(prefix, parts, collapse = "+")))
est <- function(x) list(estimate = unname(coef(x)), se = unname(SE(x)))

out <- list()
out$counts <- list(rows = nrow(d), valid = sum(d$valid), missing = sum(!complete),
                   off_total = sum(complete & rs != 1000))
out$means <- est(svymean(f(""), valid))
out$zero_shares <- est(svymean(f("z_"), valid))
out$threshold300 <- est(svymean(f("t_"), valid))
out$mean_shares_flag <- est(svymean(f("s_"), subset(des, kept_flag)))
out$means_flag <- est(svymean(f(""), subset(des, kept_flag)))
out$means_rescale <- est(svymean(f("r_"), subset(des, kept_flag)))
## replicate weights: stratified jackknife (JKn), then the valid domain
jkn <- as.svrepdesign(des, type = "JKn")
out$means_jkn <- est(svymean(f(""), subset(jkn, valid)))

## by age: svyby with the full covariance, and the Wald test of equal means
by_age <- svyby(f(""), ~age, valid, svymean, covmat = TRUE)
V <- vcov(by_age)
nm <- names(coef(by_age))
out$by_age <- list(names = nm, estimate = unname(coef(by_age)), se = as.vector(as.matrix(SE(by_age))),
                   groups = as.character(by_age$age))
## contrasts: every group minus the first, parts 1..D-1 (the last is implied)
G <- nrow(by_age)
ci <- function(g, j) paste0(by_age$age[g], ":", parts[j])
C <- NULL
for (g in 2:G) for (j in 1:(D - 1)) {
  row <- setNames(rep(0, length(nm)), nm)
  row[ci(g, j)] <- 1; row[ci(1, j)] <- -1
  C <- rbind(C, row)
}
dd <- C %*% coef(by_age)
W <- as.numeric(t(dd) %*% solve(C %*% V %*% t(C)) %*% dd)
df1 <- nrow(C); df2 <- degf(valid)
out$wald_age <- list(statistic = W, df = df1, df_denom = df2,
                     p_chisq = pchisq(W, df1, lower.tail = FALSE),
                     p_F = pf(W / df1, df1, df2, lower.tail = FALSE),
                     degf_full = degf(des))
## one pairwise difference with its SE: 65+ minus 18-39, health
c1 <- setNames(rep(0, length(nm)), nm); c1[ci(3, 7)] <- 1; c1[ci(1, 7)] <- -1
out$diff_health_65_vs_18 <- list(estimate = sum(c1 * coef(by_age)),
                                  se = sqrt(as.numeric(t(c1) %*% V %*% c1)))
zby <- svyby(f("z_"), ~age, valid, svymean)
out$zero_by_age <- list(names = names(coef(zby)), estimate = unname(coef(zby)),
                        se = as.vector(as.matrix(SE(zby))))

## compositional: ilr means by age and their Wald test (all D-1 coordinates)
ilr_f <- as.formula(paste("~", paste0("ilr", 1:(D - 1), collapse = "+")))
iby <- svyby(ilr_f, ~age, valid, svymean, covmat = TRUE)
Vi <- vcov(iby); nmi <- names(coef(iby))
Ci <- NULL
for (g in 2:G) for (k in 1:(D - 1)) {
  row <- setNames(rep(0, length(nmi)), nmi)
  row[paste0(iby$age[g], ":ilr", k)] <- 1; row[paste0(iby$age[1], ":ilr", k)] <- -1
  Ci <- rbind(Ci, row)
}
di <- Ci %*% coef(iby)
Wi <- as.numeric(t(di) %*% solve(Ci %*% Vi %*% t(Ci)) %*% di)
out$ilr_by_age <- list(names = nmi, estimate = unname(coef(iby)),
                        se = as.vector(as.matrix(SE(iby))))
out$ilr_wald_age <- list(statistic = Wi, df = nrow(Ci), df_denom = degf(valid),
                         p_chisq = pchisq(Wi, nrow(Ci), lower.tail = FALSE),
                         p_F = pf(Wi / nrow(Ci), nrow(Ci), degf(valid), lower.tail = FALSE))

## weighted closed geometric mean in yen, delta = 1 yen, with delta-method SE
lm_ <- svymean(f("l_"), valid)
ex <- lapply(seq_along(parts), function(j)
  parse(text = sprintf("1000 * exp(l_%s) / (%s)", parts[j],
                       paste0("exp(l_", parts, ")", collapse = " + ")))[[1]])
names(ex) <- parts
cg <- svycontrast(lm_, ex)
out$closed_geomean <- est(cg)
## sensitivity: closed geometric mean for other deltas (estimates only)
sens <- list()
for (dy in c(0.5, 1, 5, 10)) {
  Md <- ifelse(P == 0, dy / 1000, P * (1 - nz * dy / 1000))
  L <- log(Md[d$valid, ]); w <- d$wt[d$valid]
  m <- colSums(L * w) / sum(w)
  sens[[as.character(dy)]] <- unname(1000 * exp(m) / sum(exp(m)))
}
out$geomean_sensitivity <- sens

out$parts <- parts
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "allocation_svymean.json"))
cat("wrote allocation_svymean.json\n")
