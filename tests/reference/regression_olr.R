## Reference numbers for survey/design/olr.py (tests/test_regression.py).
## Run from anywhere:  Rscript tests/reference/regression_olr.R
## Writes tests/reference/regression_olr.json.  R survey 4.1.1, MASS, jsonlite.
## The model is R's own ?svyolr example: mealcat = cut(meals, c(0,25,50,75,100)).
## svyolr() maximises with optim(BFGS), whose default reltol = 1e-8 stops early
## (parameters agree to ~1e-5 only); the "tight" fits pass reltol = 1e-15,
## maxit = 1000 through `...` to optim so the optimum itself is the reference.
## svyolr's sandwich also uses optim's finite-difference Hessian (ndeps = 1e-3),
## which moves the standard errors by ~1e-4 relative.  The "exact" fits run
## svyolr's own code with one line added after the optim() call,
##   res$hessian <- optimHess(res$par, fmin, gmin, control = list(ndeps = 1e-5)),
## so the Hessian error drops to ~1e-9; those are the 1e-6 references.
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
dat <- function(f) read.csv(file.path(here, "..", "data", f), stringsAsFactors = TRUE)
apiclus1 <- dat("apiclus1.csv")
apistrat <- dat("apistrat.csv")
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dclus1 <- update(dclus1, mealcat = cut(meals, c(0, 25, 50, 75, 100)))
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dstrat <- update(dstrat, apicat = cut(api00, c(0, 600, 700, 800, 1000)))

olr_out <- function(m, wt = NULL) {
  s <- summary(m)
  ct <- coef(s)
  out <- list(terms = rownames(ct), estimate = unname(ct[, 1]), se = unname(ct[, 2]),
       t = unname(ct[, 3]), vcov = unname(vcov(m)), df_resid = m$df.residual,
       p = unname(2 * pt(-abs(ct[, 3]), m$df.residual)),   # as regTermTest would use
       n_coef = length(m$coefficients))
  if (!is.null(wt))  # design effect: vcov / (mean weight * inverse Hessian), as svyglm(deff=TRUE)
    out$deff <- unname(diag(vcov(m)) / diag(mean(wt) * solve(m$Hessian)))
  out
}
## svyolr with a finite-difference Hessian of step 1e-5 (see header)
src <- deparse(getFromNamespace("svyolr.survey.design2", "survey"), width.cutoff = 500L)
i <- grep("res <- optim(start, fmin, gmin", src, fixed = TRUE)
src <- append(src, "    res$hessian <- optimHess(res$par, fmin, gmin, control = list(ndeps = rep(1e-5, length(res$par))))", after = i)
svyolr_exact <- eval(parse(text = src))
environment(svyolr_exact) <- asNamespace("survey")
.Generic <- "svyolr"
used_w <- function(m, design) { w <- weights(design); if (length(m$na.action)) w[-m$na.action] else w }
ctl <- list(reltol = 1e-15, maxit = 1000)
ref <- list()
m_default <- svyolr(mealcat ~ avg.ed + mobility + stype, design = dclus1)
ref$clus1_default <- olr_out(m_default)
m_tight <- svyolr(mealcat ~ avg.ed + mobility + stype, design = dclus1, control = ctl)
ref$clus1_tight <- olr_out(m_tight)
rt <- regTermTest(m_tight, ~avg.ed + stype)
ref$clus1_tight$regterm <- list(F = unname(drop(rt$Ftest)), ndf = rt$df, ddf = rt$ddf, p = unname(drop(rt$p)))
ref$strat_tight <- olr_out(svyolr(apicat ~ ell + meals, design = dstrat, control = ctl))
m_ex <- svyolr_exact(mealcat ~ avg.ed + mobility + stype, dclus1, control = ctl)
ref$clus1_exact <- olr_out(m_ex, used_w(m_ex, dclus1))
rt <- regTermTest(m_ex, ~avg.ed + stype)
ref$clus1_exact$regterm <- list(F = unname(drop(rt$Ftest)), ndf = rt$df, ddf = rt$ddf, p = unname(drop(rt$p)))
m_ex <- svyolr_exact(apicat ~ ell + meals, dstrat, control = ctl)
ref$strat_exact <- olr_out(m_ex, used_w(m_ex, dstrat))
rclus1 <- as.svrepdesign(dclus1, type = "JK1")
ref$jk1 <- olr_out(svyolr(mealcat ~ avg.ed + mobility + stype, design = rclus1))
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "regression_olr.json"))
