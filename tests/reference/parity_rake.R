## How far R's rake() SEs are from the exact raking projection
## (tests/test_parity_rake.py, README Methods).
## Run from anywhere:  Rscript tests/reference/parity_rake.R
## Writes tests/reference/parity_rake.json.
## R 4.2.2, survey 4.1.1, jsonlite; data: the copies in tests/data.
##
## rake() and calibrate(calfun = "raking") give the same weights, but not the
## same variance.  calibrate() stores the calibration model and svyrecvar()
## takes the residuals of u = x / w (x the weighted influence values, w the
## raked weights) from the projection on the margin dummies weighted by the
## weights before raking (GREG residuals).  rake() stores the last sweep's
## post-stratifications and svyrecvar() back-fits them, 10 sweeps of
## x - w * ave(x / w, level) (survey:::svyrecvar, "raking" branch): the
## *unweighted* mean of u in every level, i.e. the unweighted (OLS)
## projection.  The two agree when the starting weights are equal and differ
## when they vary (stratified or nonresponse-adjusted designs).  The sweeps
## are not the cause: rake() with 2,000 sweeps (a copy of svyrecvar with 1:10
## replaced) gives the same SEs to 2e-6; the apistrat block below recomputes
## both SEs from the two projections by hand.
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
dat <- function(f) read.csv(file.path(here, "..", "data", f), stringsAsFactors = TRUE)
apistrat <- dat("apistrat.csv")
nhanes <- dat("nhanes.csv.gz")
nhanes$race <- factor(nhanes$race)
nhanes$RIAGENDR <- factor(nhanes$RIAGENDR)
out <- list(R = R.version.string, survey = as.character(packageVersion("survey")))
tight <- list(maxit = 200, epsilon = 1e-12)

long_backfit <- function() {
  f <- survey:::svyrecvar
  body(f) <- eval(parse(text = paste("quote(", sub("1:10", "1:2000", paste(deparse(body(f)), collapse = "\n"),
                                                    fixed = TRUE), ")")))
  f
}

compare <- function(design, margins, pops, formula) {
  r <- rake(design, margins, pops, control = tight)
  cal <- calibrate(design, margins, pops, calfun = "raking", epsilon = 1e-12, maxit = 200)
  res <- list(rake = unname(SE(svymean(formula, r, na.rm = TRUE))),
              calibrate = unname(SE(svymean(formula, cal, na.rm = TRUE))),
              estimate = unname(coef(svymean(formula, cal, na.rm = TRUE))),
              max_weight_difference = max(abs(weights(r) / weights(cal) - 1)))
  orig <- survey:::svyrecvar
  assignInNamespace("svyrecvar", long_backfit(), "survey")
  res$rake_2000_sweeps <- unname(SE(svymean(formula, r, na.rm = TRUE)))
  assignInNamespace("svyrecvar", orig, "survey")
  res$relative_difference <- res$rake / res$calibrate - 1
  res
}

## apistrat, margins from the population file apipop (data(api))
ds <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
pops <- list(data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018)),
             data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122)),
             data.frame(awards = c("No", "Yes"), Freq = c(2027, 4167)))
out$apistrat <- compare(ds, list(~stype, ~sch.wide, ~awards), pops, ~api00 + enroll)
out$apistrat$margins <- pops
## by hand: SE of the mean of enroll from the residuals of u = x / w
local({
  r <- rake(ds, list(~stype, ~sch.wide, ~awards), pops, control = tight)
  w1 <- weights(r); w0 <- weights(ds); y <- apistrat$enroll
  x <- w1 * (y - sum(w1 * y) / sum(w1)) / sum(w1)
  M <- model.matrix(~stype + sch.wide + awards, apistrat)
  u <- x / w1
  se <- function(e) sqrt(drop(survey:::svyrecvar(w1 * e, ds$cluster, ds$strata, ds$fpc)))
  out$apistrat$enroll_ols_by_hand <<- se(resid(lm(u ~ M - 1)))
  out$apistrat$enroll_wls_by_hand <<- se(resid(lm(u ~ M - 1, weights = w0)))
})

## nhanes, margins = its own weighted totals (age, race, sex)
dn <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nhanes)
np <- lapply(c("agecat", "race", "RIAGENDR"), function(v) {
  t <- svytotal(as.formula(paste("~", v)), dn)
  d <- data.frame(levels(nhanes[[v]]), unname(coef(t)))
  names(d) <- c(v, "Freq")
  d
})
out$nhanes <- compare(dn, list(~agecat, ~race, ~RIAGENDR), np, ~HI_CHOL)
out$nhanes$margins <- np

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "parity_rake.json"))
cat("wrote", file.path(here, "parity_rake.json"), "\n")
