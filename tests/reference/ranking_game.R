## Reference numbers for survey/measures/ranking/estimators.py (tests/test_ranking.py).
## Run from anywhere:  Rscript tests/reference/ranking_game.R
## Writes tests/reference/ranking_game.json.
## R survey 4.1.1, survival 3.5.3, jsonlite; data: tests/data/game_wide.csv
## (mlogit's Game: 91 respondents rank 6 platforms, ch.* = rank, 1 = best).
##
## The exploded (rank-ordered) logit is a conditional logit with one stratum
## per choice situation (respondent x stage) over the items not yet chosen,
## so coxph(Surv(time, status) ~ ... + strata(situation)) with a constant
## time fits it exactly (one event per stratum: ties are irrelevant), and
## svycoxph() on a design with respondents as PSUs gives the design-based
## (linearisation sandwich) variance.
##
## Test set-up shared with tests/test_ranking.py (keep both in step):
##   respondent = row number 1..91
##   w          = 1 + (age - 17) / 4 + 0.5 * (hours >= 5)      (weights)
##   stratum    = "a" if age <= 19 else "b"                     (strata)
##   heavy      = "yes" if hours >= 5 else "no"                 (a `by` variable)
##   k (ragged) = 0 if respondent %% 13 == 0, else 1 if %% 11 == 0,
##                else 2 if %% 7 == 0, else 3                   (choices given)
## Non-answering respondents (k = 0) stay in the design: each gets one
## dummy row in a stratum of its own with no event, which adds nothing to
## the fit and a zero score to the variance (domain estimation).
suppressMessages({library(survey); library(survival); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
g <- read.csv(file.path(here, "..", "data", "game_wide.csv"))

plat <- c("Xbox", "PlayStation", "PSPortable", "GameCube", "GameBoy", "PC")
nonref <- plat[plat != "PC"]
n <- nrow(g)
g$respondent <- seq_len(n)
g$w <- 1 + (g$age - 17) / 4 + 0.5 * (g$hours >= 5)
g$stratum <- ifelse(g$age <= 19, "a", "b")
g$heavy <- ifelse(g$hours >= 5, "yes", "no")
r <- g$respondent
k_ragged <- ifelse(r %% 13 == 0, 0, ifelse(r %% 11 == 0, 1, ifelse(r %% 7 == 0, 2, 3)))
ranks <- as.matrix(g[paste0("ch.", plat)])
best_first <- t(apply(ranks, 1, function(x) plat[order(x)]))

explode <- function(kvec) {
  out <- vector("list", n)
  for (i in seq_len(n)) {
    left <- plat
    parts <- list()
    if (kvec[i] == 0) {
      left <- "PC"  # dummy row: no event in its stratum
      parts[[1]] <- data.frame(situation = paste(i, 0), item = left, status = 0L)
    } else for (s in seq_len(kvec[i])) {
      chosen <- best_first[i, s]
      parts[[s]] <- data.frame(situation = paste(i, s), item = left,
                               status = as.integer(left == chosen))
      left <- setdiff(left, chosen)
    }
    d <- do.call(rbind, parts)
    d$respondent <- i
    d$own <- unlist(g[i, paste0("own.", d$item)])
    d$hours <- g$hours[i]; d$age <- g$age[i]
    d$w <- g$w[i]; d$stratum <- g$stratum[i]
    out[[i]] <- d
  }
  ex <- do.call(rbind, out)
  ex$time <- 1
  for (it in nonref) {
    d <- as.numeric(ex$item == it)
    ex[[paste0("d_", it)]] <- d
    ex[[paste0("h_", it)]] <- d * ex$hours
    ex[[paste0("a_", it)]] <- d * ex$age
  }
  ex
}
terms <- c(paste0("d_", nonref), paste0("h_", nonref), paste0("a_", nonref), "own")
fml <- as.formula(paste("Surv(time, status) ~", paste(terms, collapse = " + "),
                        "+ strata(situation)"))

fit_out <- function(m) list(terms = names(coef(m)), estimate = unname(coef(m)),
                            se = unname(sqrt(diag(vcov(m)))), vcov = unname(vcov(m)))

ref <- list(setup = "see header of tests/reference/ranking_game.R")

## 1. Full ranking (5 non-trivial stages), unweighted, model-based SE:
##    should reproduce mlogit's published ch ~ own | hours + age (logLik -516.552).
ex_full <- explode(rep(5, n))
m_full <- coxph(fml, data = ex_full, ties = "breslow")
ref$full_model <- c(fit_out(m_full), loglik = m_full$loglik[2])

## 2. Top-3 truncation, unweighted: model-based and design-based (ids = respondent).
ex3 <- explode(rep(3, n))
m3 <- coxph(fml, data = ex3, ties = "breslow")
ref$top3_model <- c(fit_out(m3), loglik = m3$loglik[2])
d3 <- svydesign(ids = ~respondent, weights = ~1, data = ex3)
s3 <- svycoxph(fml, design = d3)
ref$top3_design <- c(fit_out(s3), degf_resid = s3$degf.resid)

## 3. Ragged top-3 (some give 2, 1 or 0 choices), weighted, stratified,
##    respondents as PSUs: design-based sandwich.
exr <- explode(k_ragged)
dr <- svydesign(ids = ~respondent, strata = ~stratum, weights = ~w, data = exr)
sr <- svycoxph(fml, design = dr)
ref$ragged_weighted <- c(fit_out(sr), degf_resid = sr$degf.resid)
## Joint Wald test of the five hours:item terms ("does the ranking differ by
## hours?").  Computed directly as regTermTest() does (chisq = b' V^-1 b,
## F = chisq / df on df and degf.resid): regTermTest() itself cannot be used
## here because in survey 4.1.1 it picks coefficients shifted by one
## position for svycoxph fits (it tested h_PlayStation..a_Xbox instead).
hi <- grep("^h_", names(coef(sr)))
hb <- coef(sr)[hi]
h_chisq <- drop(hb %*% solve(vcov(sr)[hi, hi]) %*% hb)
ref$ragged_weighted$wald_hours <- list(
  chisq = h_chisq, df = length(hi), p_chisq = pchisq(h_chisq, length(hi), lower.tail = FALSE),
  F = h_chisq / length(hi), ddf = sr$degf.resid,
  p = pf(h_chisq / length(hi), length(hi), sr$degf.resid, lower.tail = FALSE))

## 3b. Same ragged weighted design, categorical covariate heavy (dummy
##     heavy[yes] against "no", one coefficient per non-reference item) and
##     numeric age; design-based, and stratified jackknife (JKn) replicates
##     refitting the model on every replicate (svycoxph on as.svrepdesign).
exr$heavy_yes <- as.numeric(exr$hours >= 5)
for (it in nonref) exr[[paste0("y_", it)]] <- exr[[paste0("d_", it)]] * exr$heavy_yes
terms_c <- c(paste0("d_", nonref), paste0("y_", nonref), paste0("a_", nonref), "own")
fml_c <- as.formula(paste("Surv(time, status) ~", paste(terms_c, collapse = " + "),
                          "+ strata(situation)"))
dr <- svydesign(ids = ~respondent, strata = ~stratum, weights = ~w, data = exr)
sc <- svycoxph(fml_c, design = dr)
ref$ragged_heavy <- c(fit_out(sc), degf_resid = sc$degf.resid)
yi <- grep("^y_", names(coef(sc)))
yb <- coef(sc)[yi]
y_chisq <- drop(yb %*% solve(vcov(sc)[yi, yi]) %*% yb)
ref$ragged_heavy$wald_heavy <- list(
  chisq = y_chisq, df = length(yi), F = y_chisq / length(yi), ddf = sc$degf.resid,
  p = pf(y_chisq / length(yi), length(yi), sc$degf.resid, lower.tail = FALSE))
drep <- as.svrepdesign(dr, type = "JKn")
## svycoxph.svyrep.design evaluates the formula call inside the data, so
## pass it as a call (a formula object would look for status globally).
sj <- eval(call("svycoxph", str2lang(deparse1(fml_c)), design = quote(drep)))
ref$ragged_heavy_jkn <- fit_out(sj)

## 2b. Top-3, weighted, model-based SE as mlogit(..., weights = w): mlogit
##     divides the weights by their mean (mlogit.R: weights / mean(weights),
##     over choice situations; every respondent here has 3), so coxph with
##     weights w / mean(w) is the same fit.  Frequency-weight SEs would shrink
##     by sqrt(mean(w)) instead.
ex3w <- ex3
ex3w$wn <- ex3w$w / mean(g$w)
## robust = FALSE: survival >= 3 defaults to a robust variance for non-integer weights
m3w <- coxph(fml, data = ex3w, weights = wn, ties = "breslow", robust = FALSE)
ref$top3_weighted_model <- c(fit_out(m3w), loglik = m3w$loglik[2], mean_w = mean(g$w))

## 4. topk_shares: svymean of 0/1 indicators and Borda points (3/2/1) on the
##    respondent-level design, among respondents who gave at least one choice.
resp <- g
for (it in plat) {
  pos <- apply(best_first, 1, function(x) match(it, x))
  for (nm in c("top3", "ragged")) {
    k <- if (nm == "top3") rep(3, n) else k_ragged
    inrank <- !is.na(pos) & pos <= k
    resp[[paste0(nm, "_first_", it)]] <- as.numeric(pos == 1 & k >= 1)
    resp[[paste0(nm, "_topk_", it)]] <- as.numeric(inrank)
    resp[[paste0(nm, "_borda_", it)]] <- ifelse(inrank, 4 - pos, 0)
  }
}
resp$answered <- k_ragged > 0
dresp <- svydesign(ids = ~1, strata = ~stratum, weights = ~w, data = resp)
share_out <- function(design, nm, by = NULL) {
  res <- list()
  for (what in c("first", "topk", "borda")) {
    f <- as.formula(paste("~", paste(paste0(nm, "_", what, "_", plat), collapse = "+")))
    if (is.null(by)) {
      est <- svymean(f, design)
      ci <- confint(est)
      res[[what]] <- list(estimate = unname(coef(est)), se = unname(SE(est)),
                          ci_low = unname(ci[, 1]), ci_high = unname(ci[, 2]))
    } else {
      est <- svyby(f, by, design, svymean)
      ci <- confint(est)
      res[[what]] <- list(by = as.character(est[[1]]),
                          estimate = unname(coef(est)),  # order as in ci_names
                          se = unname(sqrt(diag(suppressWarnings(vcov(est))))),
                          ci_low = unname(ci[, 1]), ci_high = unname(ci[, 2]),
                          ci_names = rownames(ci))
    }
  }
  res
}
## 4b. The intervals of the shares: R svyciprop(method = "logit") on the same
##     domain (t with the design df of the domain, or of the by group in it).
ciprop_out <- function(design, nm, what, by = NULL) {
  lo <- hi <- est <- c()
  names_out <- c()
  for (it in plat) {
    f <- as.formula(paste0("~I(", nm, "_", what, "_", it, " == 1)"))
    if (is.null(by)) {
      e <- svyciprop(f, design, method = "logit")
      ci <- confint(e)
      est <- c(est, unname(coef(e))); lo <- c(lo, ci[1]); hi <- c(hi, ci[2])
    } else {
      e <- svyby(f, by, design, svyciprop, method = "logit", vartype = "ci")
      est <- c(est, unname(e[[2]])); lo <- c(lo, e$ci_l); hi <- c(hi, e$ci_u)
      names_out <- c(names_out, paste0(as.character(e[[1]]), ":", it))
    }
  }
  list(estimate = unname(est), ci_low = unname(lo), ci_high = unname(hi), ci_names = names_out)
}
ciprop_all <- function(design, nm, by = NULL)
  list(first = ciprop_out(design, nm, "first", by), topk = ciprop_out(design, nm, "topk", by))

## 4c. Tied ranks: respondent r %% 5 == 0 marked two items at rank 2, r %% 17 == 0 at
##     rank 1 (and not answering ones stay as they are).  The ranking stops at the tie:
##     ranks above it are known (so a tie at rank 2 keeps the first choice), the rest
##     is not.  First-choice shares are over those whose first choice is known; top-3
##     shares and Borda points over complete rankings only (a truncated one does not
##     say which items are in its top 3).
tie_at <- ifelse(r %% 17 == 0, 1, ifelse(r %% 5 == 0, 2, NA))
k_tied <- ifelse(is.na(tie_at), k_ragged, pmin(k_ragged, tie_at - 1))
for (it in plat) {
  pos <- apply(best_first, 1, function(x) match(it, x))
  inrank <- !is.na(pos) & pos <= k_tied
  resp[[paste0("tied_first_", it)]] <- as.numeric(pos == 1 & k_tied >= 1)
  resp[[paste0("tied_topk_", it)]] <- as.numeric(inrank)
  resp[[paste0("tied_borda_", it)]] <- ifelse(inrank, 4 - pos, 0)
}
resp$first_known <- k_tied > 0
resp$complete <- k_tied > 0 & is.na(tie_at)
dresp <- svydesign(ids = ~1, strata = ~stratum, weights = ~w, data = resp)
## The rank-ordered logit of the cut rankings: the stages above each tie (svycoxph as in 3).
ext <- explode(k_tied)
st <- svycoxph(fml, design = svydesign(ids = ~respondent, strata = ~stratum, weights = ~w, data = ext))
ref$tied <- list(
  tie_at = tie_at, k = k_tied, model = c(fit_out(st), degf_resid = st$degf.resid),
  first = share_out(subset(dresp, first_known), "tied")$first,
  topk = share_out(subset(dresp, complete), "tied")$topk,
  borda = share_out(subset(dresp, complete), "tied")$borda,
  ciprop_first = ciprop_out(subset(dresp, first_known), "tied", "first"),
  ciprop_topk = ciprop_out(subset(dresp, complete), "tied", "topk"))

ref$shares_top3 <- share_out(dresp, "top3")
ref$shares_ragged <- share_out(subset(dresp, answered), "ragged")
ref$shares_ragged_by_heavy <- share_out(subset(dresp, answered), "ragged", by = ~heavy)
ref$ciprop_top3 <- ciprop_all(dresp, "top3")
ref$ciprop_ragged <- ciprop_all(subset(dresp, answered), "ragged")
ref$ciprop_ragged_by_heavy <- ciprop_all(subset(dresp, answered), "ragged", by = ~heavy)
ref$items <- plat

writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "ranking_game.json"))
