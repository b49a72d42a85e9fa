## Reference numbers for the links of survey/design/olr.py (tests/test_olr_links.py):
## svyolr(method = "probit" / "cloglog") on R's ?svyolr example and on apistrat.
## Run from anywhere:  Rscript tests/reference/regression_olr_links.R
## Writes tests/reference/regression_olr_links.json.  R survey 4.1.1, MASS, jsonlite.
##
## As in regression_olr.R, the fits use optim(reltol = 1e-15) and svyolr's own code with
## a 1e-5-step finite-difference Hessian ("exact"), so the references hold to ~1e-7.
##
## survey 4.1.1's svyolr(method = "cloglog") on a svydesign uses its pgumbel,
## F(x) = exp(-exp(-x)): that is the log-log model (MASS::polr's method = "loglog"),
## reported here as "r_cloglog".  The complementary log-log model proper,
## F(x) = 1 - exp(-exp(x)) (MASS::polr's "cloglog"), is the log-log model of the reversed
## response with the signs flipped: P(Y <= k) = 1 - exp(-exp(zeta_k - eta)) is
## P(Y' <= K - k) = exp(-exp(-(-zeta_k) + (-eta))).  So beta = -beta', and the thresholds
## are minus the reversed thresholds of the reversed fit; the covariance follows.
## MASS::polr(method = "cloglog", weights = pw) gives the same point estimates (checked).
suppressMessages({library(survey); library(MASS); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
dat <- function(f) read.csv(file.path(here, "..", "data", f), stringsAsFactors = TRUE)
apiclus1 <- dat("apiclus1.csv")
apistrat <- dat("apistrat.csv")
apiclus1$mealcat <- cut(apiclus1$meals, c(0, 25, 50, 75, 100))
apiclus1$mealrev <- factor(apiclus1$mealcat, levels = rev(levels(apiclus1$mealcat)))
apistrat$apicat <- cut(apistrat$api00, c(0, 600, 700, 800, 1000))
apistrat$apirev <- factor(apistrat$apicat, levels = rev(levels(apistrat$apicat)))
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)

src <- deparse(getFromNamespace("svyolr.survey.design2", "survey"), width.cutoff = 500L)
i <- grep("res <- optim(start, fmin, gmin", src, fixed = TRUE)
src <- append(src, "    res$hessian <- optimHess(res$par, fmin, gmin, control = list(ndeps = rep(1e-5, length(res$par))))", after = i)
svyolr_exact <- eval(parse(text = src))
environment(svyolr_exact) <- asNamespace("survey")
.Generic <- "svyolr"
ctl <- list(reltol = 1e-15, maxit = 1000)

olr_out <- function(m) {
  ct <- coef(summary(m))
  list(terms = rownames(ct), estimate = unname(ct[, 1]), se = unname(ct[, 2]),
       vcov = unname(vcov(m)), df_resid = m$df.residual)
}
## the complementary log-log fit from the log-log fit of the reversed response
flip <- function(m) {
  pc <- length(m$coefficients); q <- length(m$zeta)
  Tm <- diag(c(rep(-1, pc), rep(0, q)), pc + q)
  Tm[pc + 1:q, pc + q:1] <- -diag(q)
  est <- drop(Tm %*% c(m$coefficients, m$zeta))
  V <- Tm %*% vcov(m) %*% t(Tm)
  list(estimate = est, se = sqrt(diag(V)), vcov = V, df_resid = m$df.residual)
}
ref <- list()
f1 <- mealcat ~ avg.ed + mobility + stype
ref$clus1_probit <- olr_out(svyolr_exact(f1, dclus1, method = "probit", control = ctl))
ref$clus1_r_cloglog <- olr_out(svyolr_exact(f1, dclus1, method = "cloglog", control = ctl))
ref$clus1_cloglog <- flip(svyolr_exact(mealrev ~ avg.ed + mobility + stype, dclus1,
                                       method = "cloglog", control = ctl))
polr_cl <- suppressWarnings(polr(f1, data = apiclus1, weights = pw, method = "cloglog",
                control = list(reltol = 1e-15, maxit = 1000)))
ref$clus1_cloglog$polr_estimate <- unname(c(polr_cl$coefficients, polr_cl$zeta))
ref$clus1_probit_default <- olr_out(svyolr(f1, dclus1, method = "probit"))
f2 <- apicat ~ ell + meals
ref$strat_probit <- olr_out(svyolr_exact(f2, dstrat, method = "probit", control = ctl))
ref$strat_cloglog <- flip(svyolr_exact(apirev ~ ell + meals, dstrat, method = "cloglog",
                                       control = ctl))
## regTermTest on the probit fit
rt <- regTermTest(svyolr_exact(f1, dclus1, method = "probit", control = ctl), ~avg.ed + stype)
ref$clus1_probit$regterm <- list(F = unname(drop(rt$Ftest)), ndf = rt$df, ddf = rt$ddf,
                                 p = unname(drop(rt$p)))
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "regression_olr_links.json"))
