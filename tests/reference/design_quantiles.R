## Reference numbers for survey/design/quantiles.py (tests/test_quantiles.py):
## svyquantile() with every qrule= and interval.type= of R survey 4.1.1.
## Run from anywhere:  Rscript tests/reference/design_quantiles.R
## Writes tests/reference/design_quantiles.json.  R survey 4.1.1, jsonlite; data are
## the committed CSV copies of R's api data in tests/data.
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
dat <- function(f) read.csv(file.path(here, "..", "data", f), stringsAsFactors = TRUE)
apistrat <- dat("apistrat.csv")
apiclus1 <- dat("apiclus1.csv")
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
rclus1 <- as.svrepdesign(dclus1, type = "JK1")
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
dclus1p <- postStratify(dclus1, ~stype, pop.types)

## one variable: quantile, ci low, ci high, se per probability
q_out <- function(r) {
  m <- r[[1]]
  list(estimate = unname(m[, 1]), ci_low = unname(m[, 2]), ci_high = unname(m[, 3]),
       se = unname(m[, 4]))
}
probs <- c(0.1, 0.25, 0.5, 0.9)
rules <- c("math", "school", "shahvaish", paste0("hf", 1:9))
ref <- list()
## ---- qrule= (interval.type = "mean") on a cluster and a stratified design, and on
## ---- ell, which has many ties
for (r in rules) {
  ref[[paste0("clus1_", r)]] <- q_out(svyquantile(~api00, dclus1, probs, qrule = r, ci = TRUE))
  ref[[paste0("strat_ell_", r)]] <- q_out(svyquantile(~ell, dstrat, probs, qrule = r, ci = TRUE))
}
## ---- interval.type= ---------------------------------------------------------------
for (it in c("mean", "beta", "xlogit", "asin", "score")) {
  ref[[paste0("clus1_int_", it)]] <- q_out(svyquantile(~api00, dclus1, probs, ci = TRUE,
                                                       interval.type = it))
  ref[[paste0("strat_int_", it)]] <- q_out(svyquantile(~api00, dstrat, c(0.25, 0.5), ci = TRUE,
                                                       interval.type = it, qrule = "hf7"))
  ## missing values (acs.k3 is NA for high schools) on a calibrated design: R keeps the
  ## NA rows with weight 0 (nrow, IQR, min and max of the score interval see them as 0)
  ref[[paste0("post_na_", it)]] <- q_out(svyquantile(~acs.k3, dclus1p, c(0.25, 0.5), ci = TRUE,
                                                     interval.type = it, na.rm = TRUE))
  ref[[paste0("clus1_na_", it)]] <- q_out(svyquantile(~acs.k3, dclus1, c(0.25, 0.5), ci = TRUE,
                                                      interval.type = it, na.rm = TRUE))
}
ref$clus1_int_beta_90 <- q_out(svyquantile(~api00, dclus1, probs, ci = TRUE, alpha = 0.1,
                                           interval.type = "beta"))
ref$clus1_int_score_dfinf <- q_out(svyquantile(~api00, dclus1, probs, ci = TRUE, df = Inf,
                                               interval.type = "score"))
ref$clus1_xlogit_hf7 <- q_out(svyquantile(~api00, dclus1, probs, ci = TRUE, qrule = "hf7",
                                          interval.type = "xlogit"))
## ---- by= (svyby subsets the design per group) -------------------------------------------
for (it in c("beta", "score")) {
  b <- svyby(~api00, ~stype, dclus1, svyquantile, quantiles = 0.5, ci = TRUE,
             interval.type = it, keep.var = TRUE)
  ref[[paste0("clus1_by_", it)]] <- list(estimate = unname(coef(b)), se = unname(SE(b)),
                                         ci = unname(confint(b)))
}
## ---- replicate designs: interval.type = "quantile" (replicate quantiles) and "mean" ----
ref$jk1_quantile <- q_out(suppressWarnings(svyquantile(~api00, rclus1, probs, ci = TRUE,
                                                       interval.type = "quantile")))
ref$jk1_quantile_hf7 <- q_out(suppressWarnings(svyquantile(~api00, rclus1, probs, ci = TRUE,
                                                           interval.type = "quantile",
                                                           qrule = "hf7")))
ref$jk1_mean_school <- q_out(svyquantile(~api00, rclus1, probs, ci = TRUE, qrule = "school"))
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "design_quantiles.json"))
