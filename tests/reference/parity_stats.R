## Reference numbers for svyvar, svyttest, nonlinear svycontrast, svyby with
## any statistic and withReplicates (tests/test_parity_stats.py).
## Run from anywhere:  Rscript tests/reference/parity_stats.R
## Writes tests/reference/parity_stats.json.
## R 4.2.2, survey 4.1.1, jsonlite; data: the copies in tests/data (api).
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
dat <- function(f) read.csv(file.path(here, "..", "data", f), stringsAsFactors = TRUE)
apistrat <- dat("apistrat.csv")
apiclus1 <- dat("apiclus1.csv")
out <- list(R = R.version.string, survey = as.character(packageVersion("survey")))
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
jk1 <- as.svrepdesign(dclus1, type = "JK1")
jkn <- as.svrepdesign(dstrat, type = "JKn")
st <- function(s) list(names = names(coef(s)), estimate = unname(as.vector(coef(s))),
                       vcov = unname(as.matrix(vcov(s))))
by <- function(b) list(groups = as.character(b[[1]]), estimate = unname(coef(b)),
                       se = unname(SE(b)), vcov = unname(as.matrix(vcov(b))))
tt <- function(t) list(statistic = unname(t$statistic), df = unname(t$parameter),
                       p = unname(t$p.value), estimate = unname(t$estimate),
                       ci = unname(as.vector(t$conf.int)))

## ---- svyvar -------------------------------------------------------------------
out$var_clus1 <- st(svyvar(~api00, dclus1))
out$var_clus1_two <- st(svyvar(~api00 + enroll, dclus1))
## acs.k3 is missing for high schools: n counts every row of the design
## (linearised) but only the non-missing ones (replicate), as R does
out$var_strat_na <- st(svyvar(~acs.k3, dstrat, na.rm = TRUE))
out$var_jk1 <- st(svyvar(~api00, jk1))
out$var_jkn_na <- st(svyvar(~acs.k3, jkn, na.rm = TRUE))
## (R has no influence functions for svyvar, so no covmat on a linearised design)
out$var_by <- by(svyby(~api00, ~stype, dclus1, svyvar))
out$var_by_jk1 <- by(svyby(~api00, ~stype, jk1, svyvar, covmat = TRUE))

## ---- svyttest -----------------------------------------------------------------
out$ttest_one <- tt(svyttest(I(api00 - 650) ~ 0, dclus1))
out$ttest_two <- tt(svyttest(enroll ~ comp.imp, dclus1))
out$ttest_two_strat <- tt(svyttest(api00 ~ sch.wide, dstrat))
out$ttest_two_na <- tt(svyttest(acs.k3 ~ awards, dstrat))
out$ttest_one_jk1 <- tt(svyttest(I(api00 - 650) ~ 0, jk1))
out$ttest_two_jk1 <- tt(svyttest(api00 ~ sch.wide, jk1))

## ---- nonlinear svycontrast (delta method / replicates) --------------------------
m <- svymean(~api00 + api99, dclus1)
out$con_ratio <- st(svycontrast(m, quote(api00 / api99)))
out$con_two <- st(svycontrast(m, list(ratio = quote(api00 / api99),
                                     logdiff = quote(log(api00) - log(api99)),
                                     growth = quote(exp(api00 / 1000) * sqrt(api99) - api99^0.5))))
b <- svyby(~api00, ~stype, dclus1, svymean, covmat = TRUE)
out$con_by <- st(svycontrast(b, quote(E / H)))
mj <- svymean(~api00 + api99, jk1)
out$con_jk1_delta <- st(svycontrast(mj, quote(api00 / api99)))
mjr <- svymean(~api00 + api99, jk1, return.replicates = TRUE)
out$con_jk1_replicates <- st(svycontrast(mjr, quote(api00 / api99)))
out$con_linear <- st(svycontrast(m, c(api00 = 1, api99 = -1)))

## ---- svyby with any statistic -------------------------------------------------------
out$by_total_strat <- by(svyby(~enroll, ~sch.wide, dstrat, svytotal, covmat = TRUE))
out$by_ratio <- by(svyby(~api00, ~stype, denominator = ~api99, design = dclus1, svyratio, covmat = TRUE))
## withReplicates: any function of the weights (the coefficient of variation of api00)
cv <- function(w, data) {
  m <- sum(w * data$api00) / sum(w)
  sqrt(sum(w * (data$api00 - m)^2) / sum(w)) / m
}
wr <- withReplicates(jk1, cv, return.replicates = TRUE)
out$with_replicates_cv <- list(estimate = unname(as.vector(coef(wr))), vcov = unname(as.matrix(vcov(wr))),
                               replicates = unname(wr$replicates))
cvby <- function(formula, design, ..., return.replicates = FALSE)
  withReplicates(design, cv, return.replicates = return.replicates)
out$by_with_replicates <- by(svyby(~api00, ~stype, jkn, cvby, covmat = TRUE))
## two statistics from one function
two <- function(w, data) c(mean = sum(w * data$api00) / sum(w), total = sum(w * data$enroll))
out$with_replicates_two <- st(withReplicates(jkn, two))

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "parity_stats.json"))
cat("wrote", file.path(here, "parity_stats.json"), "\n")
