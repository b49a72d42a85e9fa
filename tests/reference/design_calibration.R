## Reference numbers for survey/design/greg.py and calibration.py (tests/test_greg.py):
## calibrate(variance=) (heteroscedastic GREG), per-row bounds and bounds.const, and
## two-way margins in rake() and calibrate().
## Run from anywhere:  Rscript tests/reference/design_calibration.R
## Writes tests/reference/design_calibration.json.  R survey 4.1.1, jsonlite; data are
## the committed CSV copies of R's api data in tests/data, and the population table of
## school type by sch.wide is computed from R's own apipop (written to the JSON).
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
dat <- function(f) read.csv(file.path(here, "..", "data", f), stringsAsFactors = TRUE)
apiclus1 <- dat("apiclus1.csv")
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
rclus1 <- as.svrepdesign(dclus1, type = "JK1")
data(api)   # apipop, for the two-way population table only

est_out <- function(d) {
  m <- svymean(~api00, d); t <- svytotal(~enroll, d)
  rep <- inherits(d, "svyrep.design")
  out <- list(weights = unname(weights(d, "sampling")),
              mean = unname(coef(m)), mean_se = unname(SE(m)),
              total = unname(coef(t)), total_se = unname(SE(t)))
  if (rep) out$replicate_weights <- unname(weights(d, "analysis"))
  out
}
## calibrate()'s Newton iterations (grake) stop at a relative misfit of 1e-7 by default;
## the references iterate further
eps <- 1e-12
ref <- list()
pop <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069)

## ---- variance= ------------------------------------------------------------------------
## the ratio estimator: calibrate to the api99 total alone with variance proportional to api99
d_ratio <- calibrate(dclus1, ~api99 - 1, c(api99 = 3914069), variance = apiclus1$api99)
ref$ratio <- est_out(d_ratio)
t_ratio <- svytotal(~api00, d_ratio)
ref$ratio$api00_total <- unname(coef(t_ratio))
ref$ratio$api00_total_se <- unname(SE(t_ratio))
r <- svyratio(~api00, ~api99, dclus1)
ref$ratio$svyratio_total <- unname(coef(r) * 3914069)
ref$ratio$svyratio_total_se <- unname(SE(r) * 3914069)
## one variance per row, linear GREG with an intercept and school type
ref$linear_var_rows <- est_out(calibrate(dclus1, ~stype + api99, pop, variance = apiclus1$enroll))
## coefficients: sigma2 = model matrix %*% c(100, 0, 0, 1) = 100 + api99
ref$linear_var_coef <- est_out(calibrate(dclus1, ~stype + api99, pop, variance = c(100, 0, 0, 1)))
## raking and logit calibration functions with a working variance
ref$raking_var <- est_out(calibrate(dclus1, ~stype + api99, pop, calfun = "raking", epsilon = eps,
                                    variance = apiclus1$enroll / mean(apiclus1$enroll)))
ref$jk1_linear_var <- est_out(calibrate(rclus1, ~stype + api99, pop, variance = apiclus1$enroll))

## ---- per-row bounds -------------------------------------------------------------------
lo <- ifelse(apiclus1$stype == "E", 0.6, 0.9)
hi <- ifelse(apiclus1$stype == "E", 1.3, 1.9)
ref$bounds_rows <- list(lower = lo, upper = hi)
ref$linear_rows <- est_out(calibrate(dclus1, ~stype + api99, pop, bounds = list(lower = lo, upper = hi), epsilon = eps))
ref$logit_rows <- est_out(calibrate(dclus1, ~stype + api99, pop, calfun = "logit",
                                    bounds = list(lower = lo, upper = hi), epsilon = eps))
ref$raking_rows <- est_out(calibrate(dclus1, ~stype + api99, pop, calfun = "raking",
                                     bounds = list(lower = lo, upper = hi), epsilon = eps))
## bounds on the weights themselves (R bounds.const = TRUE): every weight in [12, 55]
ref$linear_const <- est_out(calibrate(dclus1, ~stype + api99, pop, bounds = c(12, 55),
                                      bounds.const = TRUE, epsilon = eps))

## ---- two-way margins --------------------------------------------------------------------
pop.table <- xtabs(~stype + sch.wide, apipop)
pop.imp <- data.frame(comp.imp = c("No", "Yes"), Freq = c(1712, 4482))
tab <- as.data.frame(pop.table)
ref$pop_table <- list(stype = as.character(tab$stype), sch.wide = as.character(tab$sch.wide),
                      Freq = tab$Freq)
ref$pop_imp <- pop.imp$Freq
## rake() iterated to convergence (its default stops after ten sweeps or a change < 1 count)
ctl <- list(maxit = 1000, epsilon = 1e-12, verbose = FALSE)
ref$rake_two_way <- est_out(rake(dclus1, list(~stype + sch.wide, ~comp.imp),
                                 list(pop.table, pop.imp), control = ctl))
## the exact projection: calibrate(calfun = "raking") with the same margins
ref$calibrate_two_way <- est_out(calibrate(dclus1, list(~stype + sch.wide, ~comp.imp),
                                           list(pop.table, pop.imp), calfun = "raking",
                                           epsilon = eps))
ref$calibrate_two_way_linear <- est_out(calibrate(dclus1, list(~stype + sch.wide, ~comp.imp),
                                                  list(pop.table, pop.imp)))
## a single two-way margin is post-stratification
ref$rake_one_table <- est_out(rake(dclus1, list(~stype + sch.wide), list(pop.table), control = ctl))
ref$jk1_rake_two_way <- est_out(rake(rclus1, list(~stype + sch.wide, ~comp.imp),
                                     list(pop.table, pop.imp), control = ctl))
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "design_calibration.json"))
