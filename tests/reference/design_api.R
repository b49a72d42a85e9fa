## Reference numbers for survey/design (tests/test_design*.py).
## Run from anywhere:  Rscript tests/reference/design_api.R
## Writes tests/reference/design_api.json and design_brr_factors.csv.
## R survey 4.1.1 + jsonlite; data are the committed CSV copies in tests/data
## (read with factors, as data(api)).  Numbers are written with 15
## significant digits (jsonlite digits = NA).
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
dat <- function(f) read.csv(file.path(here, "..", "data", f), stringsAsFactors = TRUE)
apistrat <- dat("apistrat.csv")
apiclus1 <- dat("apiclus1.csv")
apiclus2 <- dat("apiclus2.csv")
options(survey.lonely.psu = "fail")

dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
dclus2wr <- svydesign(id = ~dnum + snum, weights = ~pw, data = apiclus2)  # no fpc: ultimate cluster
dwts <- svydesign(id = ~1, weights = ~pw, data = apistrat)               # weights only
dsrs <- svydesign(id = ~1, data = apistrat)                               # equal weights, no fpc

out <- list(R = R.version.string, survey = as.character(packageVersion("survey")))

## svystat (svymean/svytotal with deff) -> estimate, se, deff, 95% CI (normal)
stat <- function(s) {
  ci <- confint(s)
  list(names = names(coef(s)), estimate = unname(coef(s)), se = unname(SE(s)),
       deff = unname(if (is.null(attr(s, "deff"))) NA else diag(as.matrix(attr(s, "deff")))),
       ci_low = unname(ci[, 1]), ci_high = unname(ci[, 2]),
       vcov = unname(as.matrix(vcov(s))))
}
byout <- function(b) {
  list(groups = as.character(b[[1]]), estimate = unname(coef(b)), se = unname(SE(b)),
       deff = tryCatch(unname(deff(b)), error = function(e) NA),
       vcov = unname(as.matrix(vcov(b))))
}
quant <- function(q) {
  m <- q[[1]]
  list(estimate = unname(m[, 1]), ci_low = unname(m[, 2]), ci_high = unname(m[, 3]),
       se = unname(m[, 4]))
}
ciprop <- function(p) list(estimate = unname(as.vector(coef(p))), ci = unname(as.vector(attr(p, "ci"))),
                            se = unname(as.vector(SE(p))))

## ---- basic designs ------------------------------------------------------
out$degf <- list(strat = degf(dstrat), clus1 = degf(dclus1), clus2 = degf(dclus2),
                 clus2wr = degf(dclus2wr), wts = degf(dwts))
out$strat_mean <- stat(svymean(~api00 + enroll, dstrat, deff = TRUE))
out$strat_total <- stat(svytotal(~enroll, dstrat, deff = TRUE))
out$clus1_mean <- stat(svymean(~api00 + enroll, dclus1, deff = TRUE))
out$clus1_total <- stat(svytotal(~enroll, dclus1, deff = TRUE))
out$clus2_mean <- stat(svymean(~api00, dclus2, deff = TRUE))
out$clus2_total <- stat(svytotal(~enroll, dclus2, deff = TRUE, na.rm = TRUE))
out$clus2wr_mean <- stat(svymean(~api00, dclus2wr, deff = TRUE))
out$wts_mean <- stat(svymean(~api00, dwts, deff = TRUE))
out$srs_mean <- stat(svymean(~api00, dsrs, deff = TRUE))
out$srs_weights <- unique(weights(dsrs))
out$clus2_weights <- unname(weights(dclus2))
## factor: proportions and counts
out$clus1_prop_stype <- stat(svymean(~stype, dclus1, deff = TRUE))
out$clus1_total_stype <- stat(svytotal(~stype, dclus1, deff = TRUE))
## missing values (acs.k3 is NA for high schools): domain of non-missing rows
out$clus1_mean_na <- stat(svymean(~acs.k3, dclus1, na.rm = TRUE, deff = TRUE))
out$strat_mean_na <- stat(svymean(~acs.k3, dstrat, na.rm = TRUE, deff = TRUE))

## ---- domains --------------------------------------------------------------
out$clus1_by_stype <- byout(svyby(~api00, ~stype, dclus1, svymean, deff = TRUE, covmat = TRUE))
out$strat_by_schwide <- byout(svyby(~api00, ~sch.wide, dstrat, svymean, deff = TRUE, covmat = TRUE))
out$clus1_by_total <- byout(svyby(~enroll, ~stype, dclus1, svytotal, deff = TRUE, covmat = TRUE))
out$clus2_by_stype <- byout(svyby(~api00, ~stype, dclus2, svymean, deff = TRUE, covmat = TRUE))
out$clus1_subset_mean <- stat(svymean(~api00, subset(dclus1, sch.wide == "Yes"), deff = TRUE))
out$clus1_subset_degf <- degf(subset(dclus1, sch.wide == "Yes"))
b <- svyby(~stype, ~sch.wide, dclus1, svymean, covmat = TRUE)
## group-major order: (No: E, H, M), (Yes: E, H, M)
out$clus1_prop_by <- list(estimate = unname(as.vector(t(as.matrix(b[, 2:4])))),
                          se = unname(as.vector(t(as.matrix(b[, 5:7])))))

## ---- ratio ------------------------------------------------------------------
r <- svyratio(~api00, ~api99, dclus1, deff = TRUE)
out$clus1_ratio <- list(estimate = unname(as.vector(coef(r))), se = unname(as.vector(SE(r))),
                        deff = unname(as.vector(attr(r, "deff"))))
r <- svyratio(~api00, ~api99, dstrat)
out$strat_ratio <- list(estimate = unname(as.vector(coef(r))), se = unname(as.vector(SE(r))))
rb <- svyby(~api00, ~stype, denominator = ~api99, design = dclus1, svyratio, covmat = TRUE)
out$clus1_ratio_by <- list(estimate = unname(coef(rb)), se = unname(SE(rb)),
                           vcov = unname(as.matrix(vcov(rb))))

## ---- quantiles (survey >= 4.1 defaults: qrule="math", interval.type="mean") --
out$clus1_quantile <- quant(svyquantile(~api00, dclus1, c(0.25, 0.5, 0.9), ci = TRUE))
out$strat_quantile <- quant(svyquantile(~api00, dstrat, c(0.1, 0.5), ci = TRUE))
out$clus1_quantile90 <- quant(svyquantile(~api00, dclus1, 0.5, ci = TRUE, alpha = 0.1))
qb <- svyby(~api00, ~stype, dclus1, svyquantile, quantiles = 0.5, ci = TRUE, keep.var = TRUE)
out$clus1_quantile_by <- list(estimate = unname(coef(qb)), se = unname(SE(qb)))

## ---- proportions with svyciprop ---------------------------------------------
out$clus1_ciprop_logit <- ciprop(svyciprop(~I(sch.wide == "Yes"), dclus1, method = "logit"))
out$clus1_ciprop_small <- ciprop(svyciprop(~I(stype == "H"), dclus1, method = "logit"))
out$clus1_ciprop_beta <- ciprop(svyciprop(~I(stype == "H"), dclus1, method = "beta"))
out$strat_ciprop_logit <- ciprop(svyciprop(~I(sch.wide == "Yes"), dstrat, method = "logit"))
cb <- svyby(~I(stype == "H"), ~sch.wide, dclus1, svyciprop, vartype = "ci")
out$clus1_ciprop_by <- list(estimate = unname(coef(cb)), ci_low = unname(cb[, 3]),
                            ci_high = unname(cb[, 4]))

## ---- raking, post-stratification, calibration (Lumley's examples) -----------
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
tight <- list(maxit = 100, epsilon = 1e-12)
rclus1 <- rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide), control = tight)
out$rake_mean <- stat(svymean(~api00 + enroll, rclus1, deff = TRUE))
out$rake_total <- stat(svytotal(~enroll, rclus1))
out$rake_weights <- unname(weights(rclus1))
rb <- svyby(~api00, ~sch.wide, rclus1, svymean)   # covmat=TRUE fails on calibrated designs in 4.1.1
## joint covariance of the two domain means via svyratio(covmat=TRUE)
rr <- svyratio(~I(api00 * (sch.wide == "No")) + I(api00 * (sch.wide == "Yes")),
               ~I(as.numeric(sch.wide == "No")) + I(as.numeric(sch.wide == "Yes")),
               rclus1, covmat = TRUE)
out$rake_by <- list(groups = as.character(rb[[1]]), estimate = unname(coef(rb)),
                    se = unname(SE(rb)), vcov = unname(rr$vcov[c(1, 4), c(1, 4)]))
## the pitfall: the same raked weights in a design that does not know it was raked
naive <- svydesign(id = ~dnum, weights = ~w, fpc = ~fpc,
                   data = transform(apiclus1, w = weights(rclus1)))
out$rake_naive_mean <- stat(svymean(~api00, naive))
## raking a design whose weights vary inside the margins (stratified)
rstrat <- rake(dstrat, list(~sch.wide, ~awards),
               list(data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122)),
                    data.frame(awards = c("No", "Yes"), Freq = c(2200, 3994))), control = tight)
out$rake_strat_mean <- stat(svymean(~api00, rstrat))
rstrat_cal <- calibrate(dstrat, list(~sch.wide, ~awards),
                        list(data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122)),
                             data.frame(awards = c("No", "Yes"), Freq = c(2200, 3994))),
                        calfun = "raking", epsilon = 1e-12)
out$rake_strat_cal_mean <- stat(svymean(~api00, rstrat_cal))
out$rake_strat_weights <- unname(weights(rstrat))

ps <- postStratify(dclus1, ~stype, pop.types)
out$ps_mean <- stat(svymean(~api00 + enroll, ps, deff = TRUE))
out$ps_total <- stat(svytotal(~enroll, ps))
out$ps_weights <- unname(weights(ps))
pop2 <- data.frame(stype = rep(c("E", "H", "M"), 2), sch.wide = rep(c("No", "Yes"), each = 3),
                   Freq = c(800, 150, 122, 3621, 605, 896))
ps2 <- postStratify(dclus1, ~stype + sch.wide, pop2)
out$ps2_mean <- stat(svymean(~api00, ps2))
ps_strat <- postStratify(dstrat, ~sch.wide, pop.schwide)
out$ps_strat_mean <- stat(svymean(~api00, ps_strat))

pop.totals <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018)
g1 <- calibrate(dclus1, ~stype, pop.totals)
out$cal_stype_mean <- stat(svymean(~api00, g1))
g3 <- calibrate(dclus1, ~stype + api99, c(pop.totals, api99 = 3914069))
out$cal_lin_mean <- stat(svymean(~api00 + enroll, g3, deff = TRUE))
out$cal_lin_total <- stat(svytotal(~enroll, g3))
out$cal_lin_weights <- unname(weights(g3))
gr <- calibrate(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide),
                calfun = "raking", epsilon = 1e-12)
out$cal_rake_mean <- stat(svymean(~api00, gr))
out$cal_rake_weights <- unname(weights(gr))
gb <- calibrate(dclus1, ~stype + api99, c(pop.totals, api99 = 3914069),
                calfun = "linear", bounds = c(0.5, 2), epsilon = 1e-12)
out$cal_bounded_weights <- unname(weights(gb))
out$cal_bounded_mean <- stat(svymean(~api00, gb))
gl <- calibrate(dclus1, ~stype + api99, c(pop.totals, api99 = 3914069),
                calfun = "logit", bounds = c(0.5, 2), epsilon = 1e-12)
out$cal_logit_weights <- unname(weights(gl))
out$cal_logit_mean <- stat(svymean(~api00, gl))
g2stratum <- calibrate(dstrat, ~api99, c(`(Intercept)` = 6194, api99 = 3914069))
out$cal_strat_mean <- stat(svymean(~api00, g2stratum))

## ---- trimming (R example: trimWeights(calibrated, lower, upper)) -------------
tr <- trimWeights(g3, lower = 29, upper = 60)
out$trim_weights <- unname(weights(tr))
out$trim_mean <- stat(svymean(~api00, tr))
tr2 <- trimWeights(dwts, upper = 40, strict = TRUE)
out$trim_strict_weights <- unname(weights(tr2))

## ---- replicate weights --------------------------------------------------------
jk1 <- as.svrepdesign(dclus1, type = "JK1")
out$jk1_mean <- stat(svymean(~api00 + enroll, jk1, deff = TRUE))
out$jk1_total <- stat(svytotal(~enroll, jk1))
out$jk1_scale <- jk1$scale
out$jk1_degf <- degf(jk1)
out$jk1_by <- byout(svyby(~api00, ~stype, jk1, svymean, covmat = TRUE))
out$jk1_ratio <- list(estimate = unname(as.vector(coef(svyratio(~api00, ~api99, jk1)))),
                      se = unname(as.vector(SE(svyratio(~api00, ~api99, jk1)))))
out$jk1_quantile <- quant(svyquantile(~api00, jk1, c(0.5), ci = TRUE))
out$jk1_ciprop <- ciprop(svyciprop(~I(sch.wide == "Yes"), jk1, method = "logit"))
jk1mse <- as.svrepdesign(dclus1, type = "JK1", mse = TRUE)
out$jk1_mse_mean <- stat(svymean(~api00, jk1mse))
jk1nofpc <- as.svrepdesign(svydesign(id = ~dnum, weights = ~pw, data = apiclus1), type = "JK1")
out$jk1_nofpc_mean <- stat(svymean(~api00, jk1nofpc))
jkn <- as.svrepdesign(dstrat, type = "JKn")
out$jkn_mean <- stat(svymean(~api00, jkn))
out$jkn_total <- stat(svytotal(~enroll, jkn))
out$jkn_degf <- degf(jkn)
jk1r <- rake(jk1, list(~stype, ~sch.wide), list(pop.types, pop.schwide), control = tight)
out$jk1_rake_mean <- stat(svymean(~api00, jk1r))
jk1ps <- postStratify(jk1, ~stype, pop.types)
out$jk1_ps_mean <- stat(svymean(~api00, jk1ps))
jk1cal <- calibrate(jk1, ~stype + api99, c(pop.totals, api99 = 3914069))
out$jk1_cal_mean <- stat(svymean(~api00, jk1cal))
out$jk1_subset_mean <- stat(svymean(~api00, subset(jk1, sch.wide == "Yes")))

## BRR / Fay need 2 PSUs per stratum: pair apistrat schools (by snum within
## stype) into 100 pseudo-strata.
ap <- apistrat[order(apistrat$stype, apistrat$snum), ]
ap$pair <- paste(ap$stype, (ave(seq_len(nrow(ap)), ap$stype, FUN = seq_along) + 1) %/% 2)
dpair <- svydesign(id = ~snum, strata = ~pair, weights = ~pw, data = ap)
brr <- as.svrepdesign(dpair, type = "BRR")
out$brr_snum <- ap$snum
out$brr_mean <- stat(svymean(~api00, brr))
out$brr_total <- stat(svytotal(~enroll, brr))
out$brr_lin_total <- stat(svytotal(~enroll, dpair))
out$brr_lin_mean <- stat(svymean(~api00, dpair))
out$brr_scale <- brr$scale
fay <- as.svrepdesign(dpair, type = "Fay", fay.rho = 0.3)
out$fay_mean <- stat(svymean(~api00, fay))
out$fay_total <- stat(svytotal(~enroll, fay))
out$fay_scale <- fay$scale
write.csv(weights(brr, "replication"), file.path(here, "design_brr_factors.csv"), row.names = FALSE)

## ---- lonely PSUs ---------------------------------------------------------------
al <- apistrat
al$strat2 <- as.character(al$stype)
al$strat2[c(1, 101)] <- c("Z1", "Z2")     # two strata with a single PSU
dl <- svydesign(id = ~1, strata = ~strat2, weights = ~pw, data = al)
for (opt in c("remove", "certainty", "adjust", "average")) {
  options(survey.lonely.psu = opt)
  out[[paste0("lonely_", opt)]] <- stat(svymean(~api00 + enroll, dl))
}
options(survey.lonely.psu = "fail")
out$lonely_rows <- c(1, 101)

write_json(out, file.path(here, "design_api.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
cat("wrote", file.path(here, "design_api.json"), "\n")
